package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const resUser = "user"

func (h *handlers) userRoutes(r *registrar) {
	const tag = "Users"
	read, write := httpapi.User(domain.PermUsersRead), httpapi.User(domain.PermUsersWrite)
	r.add(http.MethodGet, "/users", read, "users.list", resUser, httpapi.Doc{
		Summary: "List users", Tag: tag, Response: User{}, List: true,
		Query: listParams(idParam(qOrgID, "this organization's staff"),
			httpapi.Param{Name: qSearch, Description: "Case-insensitive substring of the email or name."}),
	}, h.listUsers)
	r.add(http.MethodPost, "/users", write, "users.create", resUser, httpapi.Doc{
		Summary: "Create a user", Tag: tag, Request: CreateUserRequest{}, Response: User{}, Status: http.StatusCreated,
	}, h.createUser)
	r.add(http.MethodGet, "/users/:id", read, "users.get", resUser, httpapi.Doc{
		Summary: "Get a user", Tag: tag, Response: User{},
	}, h.getUser)
	r.add(http.MethodPatch, "/users/:id", write, "users.update", resUser, httpapi.Doc{
		Summary: "Edit, disable or reset the password of a user", Tag: tag,
		Description: "Nobody edits a user who holds permissions they do not hold.",
		Request:     UpdateUserRequest{}, Response: User{},
	}, h.updateUser)
	r.add(http.MethodDelete, "/users/:id", write, "users.delete", resUser, httpapi.Doc{
		Summary: "Delete a user, their grants and sessions", Tag: tag, Status: http.StatusNoContent,
	}, h.deleteUser)
}

func (h *handlers) listUsers(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	q, err := parseList(c, qOrgID, qSearch)
	if err != nil {
		return err
	}
	var f ports.UserFilter
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return err
	}
	if f.Query, err = q.text(qSearch); err != nil {
		return err
	}
	page, err := h.d.Store.Users().List(ctx, p.ScopeFor(domain.PermUsersRead), f, q.page)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pageOf(page, userOut))
	return nil
}

func (h *handlers) createUser(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in CreateUserRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	u, err := h.d.Access.CreateUser(ctx, p, access.NewUser{
		PartnerID: in.PartnerID, OrgID: in.OrgID, Email: in.Email, Name: in.Name, Password: in.Password,
	})
	if err != nil {
		return err
	}
	created(c, "/users", u.ID, userOut(u))
	return nil
}

func (h *handlers) getUser(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	u, err := h.d.Store.Users().Get(ctx, p.ScopeFor(domain.PermUsersRead), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, userOut(u))
	return nil
}

func (h *handlers) updateUser(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	var in UpdateUserRequest
	if err := httpapi.BindJSON(c, &in); err != nil {
		return err
	}
	if err := requireVersion(in.Version); err != nil {
		return err
	}
	patch := access.UserPatch{Email: in.Email, Name: in.Name, Password: in.Password, Version: in.Version}
	if in.Status != nil {
		st := domain.UserStatus(*in.Status)
		patch.Status = &st
	}
	u, err := h.d.Access.UpdateUser(ctx, p, c.Param("id"), patch)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, userOut(u))
	return nil
}

func (h *handlers) deleteUser(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := principal(c)
	if err != nil {
		return err
	}
	if err := h.d.Access.DeleteUser(ctx, p, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

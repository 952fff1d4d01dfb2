package api

import (
	"context"
	"net/http"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const resUser = "user"

func (h *handlers) userRoutes(r *registrar) {
	const tag = "Users"
	a := h.d.Access
	read, write := httpapi.User(domain.PermUsersRead), httpapi.User(domain.PermUsersWrite)
	r.add(http.MethodGet, "/users", read, "users.list", resUser, httpapi.Doc{
		Summary: "List users", Tag: tag, Response: User{}, List: true,
		Query: listParams(idParam(qOrgID, "this organization's staff"),
			httpapi.Param{Name: qSearch, Description: "Case-insensitive substring of the email or name."}),
	}, listOf(userFilter, a.ListUsers, userOut, qOrgID, qSearch))
	r.add(http.MethodPost, "/users", write, "users.create", resUser, httpapi.Doc{
		Summary: "Create a user", Tag: tag, Request: CreateUserRequest{}, Response: User{}, Status: http.StatusCreated,
	}, createOne("/users", h.createUser, userOut))
	r.add(http.MethodGet, "/users/:id", read, "users.get", resUser, httpapi.Doc{
		Summary: "Get a user", Tag: tag, Response: User{},
	}, getOne(a.GetUser, userOut))
	r.add(http.MethodPatch, "/users/:id", write, "users.update", resUser, httpapi.Doc{
		Summary: "Edit, disable or reset the password of a user", Tag: tag,
		Description: "Nobody edits a user who holds permissions they do not hold.",
		Request:     UpdateUserRequest{}, Response: User{},
	}, updateOne(h.updateUser, userOut))
	r.add(http.MethodDelete, "/users/:id", write, "users.delete", resUser, httpapi.Doc{
		Summary: "Delete a user, their grants and sessions", Tag: tag, Status: http.StatusNoContent,
	}, deleteOne(a.DeleteUser))
}

func userFilter(q listQuery) (f ports.UserFilter, err error) {
	if f.OrgID, err = q.id(qOrgID); err != nil {
		return f, err
	}
	f.Query, err = q.text(qSearch)
	return f, err
}

func (h *handlers) createUser(ctx context.Context, p *domain.Principal, in CreateUserRequest) (*domain.User, error) {
	return h.d.Access.CreateUser(ctx, p, access.NewUser{
		PartnerID: in.PartnerID, OrgID: in.OrgID, Email: in.Email, Name: in.Name, Password: in.Password,
	})
}

func (h *handlers) updateUser(ctx context.Context, p *domain.Principal, id string, in UpdateUserRequest) (*domain.User, error) {
	patch := access.UserPatch{Email: in.Email, Name: in.Name, Password: in.Password, Version: in.Version}
	if in.Status != nil {
		st := domain.UserStatus(*in.Status)
		patch.Status = &st
	}
	return h.d.Access.UpdateUser(ctx, p, id, patch)
}

package httpapi

// Doc describes a route for the generated API document (adapters/http/api
// turns the registry into OpenAPI). It sits beside the route's rule so the
// document cannot drift from the router. Zero fields are left out.
type Doc struct {
	Summary     string
	Description string
	Tag         string
	// Request is a value of the JSON request body's type (e.g.
	// api.CreateOrgRequest{}); nil: the route takes no body.
	Request any
	// Response is a value of the success body's type; nil: no body.
	Response any
	// List: the body is a page {items: [Response...], nextCursor}.
	List bool
	// Status is the success status; 0 means 200.
	Status int
	// ContentType of the success body; "" means application/json.
	ContentType string
	// Query lists the query parameters the route accepts.
	Query []Param
}

// Param is a documented query parameter.
type Param struct {
	Name        string
	Description string
	Type        string // JSON Schema type: "string" (default), "integer", "boolean"
	Format      string // "date-time", "uuid", ...
	Enum        []string
}

// SuccessStatus is the status the route answers when it succeeds.
func (d Doc) SuccessStatus() int {
	if d.Status != 0 {
		return d.Status
	}
	return 200
}

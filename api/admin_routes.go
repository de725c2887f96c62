package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/registry"
)

// routesView is r for a view: {} rather than null when the tenant has no
// routes.
func routesView(r registry.Routes) registry.Routes {
	if r == nil {
		return registry.Routes{}
	}
	return r
}

// getTenantRoutes handles GET /admin/tenants/{name}/routes: the tenant's
// routes object ({} when it has none).
func (s *Server) getTenantRoutes(c *gin.Context) {
	if _, t, ok := s.snapTenant(c); ok {
		c.JSON(http.StatusOK, routesView(t.Routes))
	}
}

// putTenantRoutes handles PUT /admin/tenants/{name}/routes: the body
// replaces the tenant's whole routes object ({} removes them); 200 with
// the routes as stored. The registry validates them like any change of
// the tenant (422 invalid_field naming e.g. routes.cmcc[1].agg); a tenant
// of config.yaml is read-only (409 managed_by_config).
func (s *Server) putTenantRoutes(c *gin.Context) {
	var routes registry.Routes
	if e := readJSON(c, s.maxBody, &routes); e != nil {
		abort(c, e)
		return
	}
	if routes == nil { // the body was null
		abort(c, errorf(http.StatusBadRequest, CodeMalformedJSON, "the body must be a routes object ({} for none)"))
		return
	}
	if len(routes) == 0 {
		routes = nil
	}
	t, err := s.registry.UpdateTenant(c.Request.Context(), actorOf(c), c.Param("name"), func(t *registry.Tenant) error {
		t.Routes = routes
		return nil
	})
	if err != nil {
		abortRegistry(c, err)
		return
	}
	c.JSON(http.StatusOK, routesView(t.Routes))
}

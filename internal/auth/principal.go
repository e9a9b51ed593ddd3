package auth

import (
	"slices"

	"ringdesk/internal/site"
)

// Principal is a logged-in account as authorisation sees it.
type Principal struct {
	Login    string
	Name     string
	Role     site.Role
	Services []string
}

// PrincipalOf builds the principal of an account. It copies what it keeps, so later edits of
// the configuration do not change a principal already handed out.
func PrincipalOf(a *site.Agent) Principal {
	return Principal{Login: a.Login, Name: a.Name, Role: a.Role, Services: slices.Clone(a.Services)}
}

// IsAdmin reports whether p administers the whole site.
func (p Principal) IsAdmin() bool { return p.Role == site.RoleAdmin }

// CanSeeService reports whether p may see a service's tickets and settings: the services p
// works in, or every service for an administrator.
func (p Principal) CanSeeService(id string) bool {
	return p.IsAdmin() || (id != "" && slices.Contains(p.Services, id))
}

// CanManageService reports whether p supervises a service: a manager who works in it, or an
// administrator. A manager of one service is an ordinary viewer of no other.
func (p Principal) CanManageService(id string) bool {
	return p.IsAdmin() || (p.Role == site.RoleManager && p.CanSeeService(id))
}

package auth

import "ringdesk/internal/site"

// Principal is a logged-in account as authorisation sees it.
type Principal struct {
	Login    string
	Name     string
	Role     site.Role
	Services []string
}

// PrincipalOf builds the principal of an account.
func PrincipalOf(a *site.Agent) Principal {
	return Principal{Login: a.Login, Name: a.Name, Role: a.Role, Services: append([]string(nil), a.Services...)}
}

// IsAdmin reports whether p administers the whole site.
func (p Principal) IsAdmin() bool { return p.Role == site.RoleAdmin }

// CanSeeService reports whether p may see a service's tickets and settings: its own services,
// or every service for an administrator.
func (p Principal) CanSeeService(id string) bool {
	if p.IsAdmin() {
		return true
	}
	for _, s := range p.Services {
		if s == id {
			return true
		}
	}
	return false
}

// CanManageService reports whether p supervises a service: a manager of it, or an
// administrator.
func (p Principal) CanManageService(id string) bool {
	if p.IsAdmin() {
		return true
	}
	return p.Role == site.RoleManager && p.CanSeeService(id)
}

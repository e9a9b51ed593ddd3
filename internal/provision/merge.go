package provision

import (
	"fmt"
	"slices"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
)

// origin tells, for each entity of a merged site, which entity of the file it came from
// (its index there), or -1 for a stored entity the file does not list.
type origin map[string][]int // by kind: services, agents, trunks

// Merge lays a file's site over the stored one and returns the result; neither argument is
// changed. Services, agents and trunks the file lists replace the stored ones with the same
// id or login, in place (so that the stored order, and with it the configuration version,
// does not move for what did not change); new ones follow in the file's order; stored ones
// the file does not list are kept. A listed service is taken whole: its numbers, caller IDs,
// favourites, groups and queues are the file's. Each SIP setting the file gives replaces the
// stored one; one it leaves out is kept.
//
// Secrets follow KeepSecrets: an agent's password and SIP secret, and a trunk's password, are
// kept when the file leaves them out. Plain-text passwords the file gives are left in the
// result; run Hash on each agent before saving it.
func Merge(stored, file *site.Site) *site.Site {
	s, _ := merge(stored, file)
	return s
}

func merge(stored, file *site.Site) (*site.Site, origin) {
	out := clone(stored)
	from := origin{}
	replace := func(kind string, storedKeys, fileKeys []string, set func(i, j int), add func(j int)) {
		at := map[string]int{}
		for i, k := range storedKeys {
			if _, ok := at[k]; !ok {
				at[k] = i
			}
		}
		from[kind] = slices.Repeat([]int{-1}, len(storedKeys))
		for j, k := range fileKeys {
			// a key the file repeats is added again, for validation to report
			if i, ok := at[k]; ok && from[kind][i] < 0 {
				set(i, j)
				from[kind][i] = j
				continue
			}
			add(j)
			from[kind] = append(from[kind], j)
		}
	}
	replace("services", keys(stored.Services, func(s site.Service) string { return s.ID }),
		keys(file.Services, func(s site.Service) string { return s.ID }),
		func(i, j int) { out.Services[i] = cloneService(file.Services[j]) },
		func(j int) { out.Services = append(out.Services, cloneService(file.Services[j])) })
	replace("agents", keys(stored.Agents, func(a site.Agent) string { return a.Login }),
		keys(file.Agents, func(a site.Agent) string { return a.Login }),
		func(i, j int) {
			a := cloneAgent(file.Agents[j])
			KeepSecrets(&a, &out.Agents[i])
			out.Agents[i] = a
		},
		func(j int) { out.Agents = append(out.Agents, cloneAgent(file.Agents[j])) })
	replace("trunks", keys(stored.Trunks, func(t site.Trunk) string { return t.ID }),
		keys(file.Trunks, func(t site.Trunk) string { return t.ID }),
		func(i, j int) {
			t := cloneTrunk(file.Trunks[j])
			// as the store does: an omitted password is kept while the username stays
			if t.Password == "" && t.Username == out.Trunks[i].Username {
				t.Password = out.Trunks[i].Password
			}
			out.Trunks[i] = t
		},
		func(j int) { out.Trunks = append(out.Trunks, cloneTrunk(file.Trunks[j])) })
	// settings the file gives replace the stored ones, each on its own; one it leaves out (0)
	// keeps the stored value
	if v := file.SIP.MediaTimeoutSeconds; v != 0 {
		out.SIP.MediaTimeoutSeconds = v
	}
	if v := file.SIP.SessionExpiresSeconds; v != 0 {
		out.SIP.SessionExpiresSeconds = v
	}
	return out, from
}

// KeepSecrets completes an agent given as input (a file entry, an API body) from the stored
// agent it replaces: with no new password, the stored password hash stays; with no new SIP
// secret, the stored one stays as long as the extension is the same — the secret is a hash
// over the extension, so under a new extension the old one is worthless and is dropped.
// A plain-text password or sip_password is left in place for Hash, which keeps the stored
// hash when the text still matches it.
func KeepSecrets(a *site.Agent, stored *site.Agent) {
	if a.PasswordHash == "" {
		a.PasswordHash = stored.PasswordHash
	}
	if a.SIPHA1 == "" && a.SIPHA1SHA256 == "" && a.Extension == stored.Extension {
		a.SIPHA1, a.SIPHA1SHA256 = stored.SIPHA1, stored.SIPHA1SHA256
	}
}

// Hash turns an agent's plain-text secrets into the stored ones and clears the plain text:
// Password into PasswordHash (argon2id), SIPPassword into SIPHA1 and SIPHA1SHA256 over the
// extension. A stored secret the plain text still matches is kept as it is, so applying the
// same password twice changes nothing (argon2id salts: a fresh hash always differs).
func Hash(a *site.Agent) error {
	if a.Password != "" && !(a.PasswordHash != "" && auth.VerifyPassword(a.PasswordHash, a.Password)) {
		h, err := auth.HashPassword(a.Password)
		if err != nil {
			return fmt.Errorf("password: %w", err)
		}
		a.PasswordHash = h
	}
	if a.SIPPassword != "" {
		if a.Extension == "" {
			return fmt.Errorf("sip_password: needs an extension: the digest secret is made from both")
		}
		// deterministic (no salt): the same password under the same extension gives the
		// stored values again, so there is nothing to compare first
		a.SIPHA1 = auth.SIPHA1(a.Extension, a.SIPPassword)
		a.SIPHA1SHA256 = auth.SIPHA1SHA256(a.Extension, a.SIPPassword)
	}
	a.Password, a.SIPPassword = "", ""
	return nil
}

func keys[T any](list []T, key func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = key(v)
	}
	return out
}

// clone copies a site deeply enough that filling defaults in the copy leaves the original
// alone.
func clone(s *site.Site) *site.Site {
	out := &site.Site{SIP: s.SIP}
	for _, v := range s.Services {
		out.Services = append(out.Services, cloneService(v))
	}
	for _, v := range s.Agents {
		out.Agents = append(out.Agents, cloneAgent(v))
	}
	for _, v := range s.Trunks {
		out.Trunks = append(out.Trunks, cloneTrunk(v))
	}
	return out
}

func cloneService(s site.Service) site.Service {
	s.Numbers = slices.Clone(s.Numbers)
	s.CallerIDs = slices.Clone(s.CallerIDs)
	s.Favorites = slices.Clone(s.Favorites)
	s.Groups = slices.Clone(s.Groups)
	s.Queues = slices.Clone(s.Queues)
	for i := range s.Queues {
		s.Queues[i].Members = slices.Clone(s.Queues[i].Members)
	}
	return s
}

func cloneAgent(a site.Agent) site.Agent {
	a.Services = slices.Clone(a.Services)
	a.Groups = slices.Clone(a.Groups)
	if a.PhoneServices != nil {
		a.PhoneServices = site.Phones(*a.PhoneServices...)
	}
	return a
}

func cloneTrunk(t site.Trunk) site.Trunk {
	t.Allow = slices.Clone(t.Allow)
	return t
}

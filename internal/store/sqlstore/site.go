package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

type siteStore struct{ s *Store }

// stored forms: secrets are kept in the documents (never in site.Agent's JSON, which hides
// them), so each kind has a small wrapper.
type agentDoc struct {
	site.Agent
	PasswordHash string `json:"password_hash,omitempty"`
	SIPHA1       string `json:"sip_ha1,omitempty"`
	SIPHA1SHA256 string `json:"sip_ha1_sha256,omitempty"`
}

type trunkDoc struct {
	site.Trunk
	Secret string `json:"secret,omitempty"`
}

func (ss siteStore) Load(ctx context.Context) (*site.Site, error) {
	rows, err := ss.s.query(ctx, `SELECT kind, id, doc FROM config ORDER BY kind, pos`)
	if err != nil {
		return nil, fmt.Errorf("store: loading the site: %w", err)
	}
	defer rows.Close()
	out := &site.Site{Services: []site.Service{}, Agents: []site.Agent{}, Trunks: []site.Trunk{}}
	for rows.Next() {
		var kind, id string
		var doc []byte
		if err := rows.Scan(&kind, &id, &doc); err != nil {
			return nil, err
		}
		switch kind {
		case "settings":
			switch id {
			case "sip":
				if err := json.Unmarshal(doc, &out.SIP); err != nil {
					return nil, fmt.Errorf("store: sip settings document: %w", err)
				}
			case "timezone":
				if err := json.Unmarshal(doc, &out.Timezone); err != nil {
					return nil, fmt.Errorf("store: time zone document: %w", err)
				}
			}
		case "service":
			var v site.Service
			if err := json.Unmarshal(doc, &v); err != nil {
				return nil, fmt.Errorf("store: service document: %w", err)
			}
			out.Services = append(out.Services, v)
		case "agent":
			var v agentDoc
			if err := json.Unmarshal(doc, &v); err != nil {
				return nil, fmt.Errorf("store: agent document: %w", err)
			}
			a := v.Agent
			a.Password, a.SIPPassword = "", ""
			a.PasswordHash, a.SIPHA1, a.SIPHA1SHA256 = v.PasswordHash, v.SIPHA1, v.SIPHA1SHA256
			out.Agents = append(out.Agents, a)
		case "trunk":
			var v trunkDoc
			if err := json.Unmarshal(doc, &v); err != nil {
				return nil, fmt.Errorf("store: trunk document: %w", err)
			}
			t := v.Trunk
			t.Password = v.Secret
			out.Trunks = append(out.Trunks, t)
		}
	}
	return out, rows.Err()
}

type entry struct {
	kind, id string
	pos      int
	doc      []byte
}

func (ss siteStore) Save(ctx context.Context, st *site.Site) error {
	return ss.s.InTx(ctx, func(txs store.Store) error {
		tx := txs.(*Store)
		cur, err := tx.Site().Load(ctx)
		if err != nil {
			return err
		}
		oldAgents := map[string]site.Agent{}
		for _, a := range cur.Agents {
			oldAgents[a.Login] = a
		}
		oldTrunks := map[string]site.Trunk{}
		for _, t := range cur.Trunks {
			oldTrunks[t.ID] = t
		}
		var want []entry
		for i, svc := range st.Services {
			b, err := json.Marshal(svc)
			if err != nil {
				return err
			}
			want = append(want, entry{"service", svc.ID, i, b})
		}
		for i, a := range st.Agents {
			d := agentDoc{Agent: a, PasswordHash: a.PasswordHash, SIPHA1: a.SIPHA1, SIPHA1SHA256: a.SIPHA1SHA256}
			d.Agent.Password, d.Agent.SIPPassword = "", ""
			if old, ok := oldAgents[a.Login]; ok {
				if d.PasswordHash == "" {
					d.PasswordHash = old.PasswordHash
				}
				if d.SIPHA1 == "" {
					d.SIPHA1 = old.SIPHA1
				}
				if d.SIPHA1SHA256 == "" {
					d.SIPHA1SHA256 = old.SIPHA1SHA256
				}
			}
			b, err := json.Marshal(d)
			if err != nil {
				return err
			}
			want = append(want, entry{"agent", a.Login, i, b})
		}
		for i, t := range st.Trunks {
			d := trunkDoc{Trunk: t, Secret: t.Password}
			d.Trunk.Password = ""
			if old, ok := oldTrunks[t.ID]; ok && d.Secret == "" && old.Username == t.Username {
				d.Secret = old.Password
			}
			b, err := json.Marshal(d)
			if err != nil {
				return err
			}
			want = append(want, entry{"trunk", t.ID, i, b})
		}
		// the site-wide settings are one document; a site that never set them has none, so
		// that it loads as it was saved
		if st.SIP != (site.SIPSettings{}) {
			b, err := json.Marshal(st.SIP)
			if err != nil {
				return err
			}
			want = append(want, entry{"settings", "sip", 0, b})
		}
		if st.Timezone != "" {
			b, err := json.Marshal(st.Timezone)
			if err != nil {
				return err
			}
			want = append(want, entry{"settings", "timezone", 0, b})
		}
		return tx.replaceConfig(ctx, want)
	})
}

// replaceConfig writes the entries that differ from what is stored, removes what is gone,
// and bumps the version when anything changed.
func (s *Store) replaceConfig(ctx context.Context, want []entry) error {
	rows, err := s.query(ctx, `SELECT kind, id, pos, doc FROM config`)
	if err != nil {
		return err
	}
	have := map[[2]string]entry{}
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.kind, &e.id, &e.pos, &e.doc); err != nil {
			rows.Close()
			return err
		}
		have[[2]string{e.kind, e.id}] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	changed := false
	seen := map[[2]string]bool{}
	for _, e := range want {
		k := [2]string{e.kind, e.id}
		if seen[k] {
			return fmt.Errorf("%w: %s %q appears twice", store.ErrConflict, e.kind, e.id)
		}
		seen[k] = true
		old, ok := have[k]
		if ok && old.pos == e.pos && bytes.Equal(old.doc, e.doc) {
			continue
		}
		changed = true
		if _, err := s.exec(ctx, `INSERT INTO config (kind, id, pos, doc) VALUES (?, ?, ?, ?)
			ON CONFLICT (kind, id) DO UPDATE SET pos = excluded.pos, doc = excluded.doc`, e.kind, e.id, e.pos, e.doc); err != nil {
			return fmt.Errorf("store: saving %s %s: %w", e.kind, e.id, err)
		}
	}
	for k := range have {
		if !seen[k] {
			changed = true
			if _, err := s.exec(ctx, `DELETE FROM config WHERE kind = ? AND id = ?`, k[0], k[1]); err != nil {
				return err
			}
		}
	}
	if changed {
		if _, err := s.exec(ctx, `UPDATE config_version SET version = version + 1`); err != nil {
			return err
		}
	}
	return nil
}

func (ss siteStore) Version(ctx context.Context) (int64, error) {
	var v int64
	err := ss.s.row(ctx, `SELECT version FROM config_version`).Scan(&v)
	return v, ss.s.classify(err)
}

package api

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// "이 고객의 이전 티켓" lists the tickets the caller had before this one, newest first, and not
// the ones that came after. (Fails before: every other ticket of the number was listed.)
func TestEarlierTicketsAreOnlyEarlier(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	var ids []int64
	for i := range 3 {
		tk := ticketOf("support", "01055556666", now.Add(time.Duration(i)*time.Minute))
		if err := e.st.Tickets().Create(context.Background(), &tk); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	kim := e.login("kim")
	var got struct {
		Earlier []struct {
			ID int64 `json:"id"`
		} `json:"earlier"`
	}
	kim.must("GET", fmt.Sprintf("/api/v1/tickets/%d", ids[1]), nil, 200, &got)
	if len(got.Earlier) != 1 || got.Earlier[0].ID != ids[0] {
		t.Fatalf("earlier tickets of #%d: %+v, want only #%d", ids[1], got.Earlier, ids[0])
	}
	kim.must("GET", fmt.Sprintf("/api/v1/tickets/%d", ids[0]), nil, 200, &got)
	if len(got.Earlier) != 0 {
		t.Fatalf("the first ticket has earlier tickets %+v", got.Earlier)
	}
}

// A number is found and dialled however it is written: 010-5555-6666 is 01055556666.
// (Fails before: the filter found nothing and 걸기 refused the hyphens.)
func TestNumbersWithHyphens(t *testing.T) {
	e := newEnv(t)
	tk := ticketOf("support", "01055556666", time.Now())
	if err := e.st.Tickets().Create(context.Background(), &tk); err != nil {
		t.Fatal(err)
	}
	kim := e.login("kim")
	var list struct {
		Tickets []struct {
			ID int64 `json:"id"`
		} `json:"tickets"`
	}
	kim.must("GET", "/api/v1/tickets?phone=010-5555-6666", nil, 200, &list)
	if len(list.Tickets) != 1 || list.Tickets[0].ID != tk.ID {
		t.Fatalf("phone=010-5555-6666 finds %+v", list.Tickets)
	}
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	kim.must("POST", "/api/v1/cti/dial", map[string]string{"number": "010-5555-6666", "caller_id": "02-1234-5678"}, 200, nil)
	kim.wantState("dialing")
	root := e.login("root")
	root.must("POST", "/api/v1/services/support/caller-ids", map[string]string{"number": "02-7777-6666"}, 200, nil)
	root.must("PATCH", "/api/v1/services/support/caller-ids/02-7777-6666", map[string]string{"status": "registered"}, 200, nil)
	root.must("DELETE", "/api/v1/services/support/caller-ids/0277776666", nil, 200, nil)
}

// An agent sees its service's colleagues by name — to assign a ticket, to read who a call was
// transferred to — and nothing of their CTI settings; agents of other services not at all.
// (Fails before: an agent saw only itself, and the console showed colleagues' logins.)
func TestAgentsSeeColleaguesByName(t *testing.T) {
	e := newEnv(t)
	kim := e.login("kim")
	var list struct {
		Agents []struct {
			Login     string `json:"login"`
			Name      string `json:"name"`
			Extension string `json:"extension"`
		} `json:"agents"`
	}
	kim.must("GET", "/api/v1/agents", nil, 200, &list)
	seen := map[string]string{}
	for _, a := range list.Agents {
		seen[a.Login] = a.Name + "/" + a.Extension
	}
	if seen["lee"] != "LEE/" || seen["kim"] != "KIM/1001" {
		t.Fatalf("kim sees %v: want lee by name only, and itself in full", seen)
	}
	if _, ok := seen["han"]; ok {
		t.Fatalf("kim sees han of another service: %v", seen)
	}
}

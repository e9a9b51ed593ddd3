package api

import (
	"net/http"

	"ringdesk/internal/engine"
)

// route is one endpoint; the list is the single source for the mux and for the OpenAPI check.
type route struct {
	method, path string
	h            http.HandlerFunc
}

func (s *Server) routeList() []route {
	return []route{
		{"GET", "/api/v1/health", s.public(s.health)},
		{"GET", "/api/v1/openapi.json", s.public(s.openapi)},
		{"POST", "/api/v1/session", s.public(s.login)},
		{"GET", "/api/v1/session", s.api(s.me)},
		{"DELETE", "/api/v1/session", s.api(s.logout)},

		{"GET", "/api/v1/cti", s.api(s.ctiView)},
		{"GET", "/api/v1/cti/settings", s.api(s.ctiSettings)},
		{"POST", "/api/v1/cti/login", s.api(s.ctiLogin)},
		{"POST", "/api/v1/cti/logout", s.api(s.ctiLogout)},
		{"PUT", "/api/v1/cti/state", s.api(s.ctiState)},
		{"POST", "/api/v1/cti/offer/accept", s.api(s.ctiAccept)},
		{"POST", "/api/v1/cti/offer/reject", s.api(s.ctiReject)},
		{"POST", "/api/v1/cti/dial", s.api(s.ctiDial)},
		{"POST", "/api/v1/cti/hold", s.api(s.ctiHold)},
		{"POST", "/api/v1/cti/unhold", s.api(s.ctiUnhold)},
		{"POST", "/api/v1/cti/consult", s.api(s.ctiConsult)},
		{"POST", "/api/v1/cti/consult/complete", s.api(s.ctiConsultComplete)},
		{"POST", "/api/v1/cti/consult/cancel", s.api(s.ctiConsultCancel)},
		{"POST", "/api/v1/cti/forced-hangup", s.api(s.ctiForcedHangup)},
		{"POST", "/api/v1/cti/hangup", s.api(s.ctiHangup)},
		{"POST", "/api/v1/cti/after-call", s.api(s.ctiAfterCall)},
		{"GET", "/api/v1/cti/ready-agents", s.api(s.ctiReadyAgents)},
		{"GET", "/api/v1/cti/history", s.api(s.ctiHistory)},
		{"POST", "/api/v1/cti/recording/pause", s.api(s.ctiRecording(engine.RecordingPause))},
		{"POST", "/api/v1/cti/recording/resume", s.api(s.ctiRecording(engine.RecordingResume))},
		{"POST", "/api/v1/cti/recording/start", s.api(s.ctiRecording(engine.RecordingStart))},

		{"GET", "/api/v1/live", s.api(s.live)},
		{"GET", "/api/v1/events", s.orWallboard(s.events, s.wallboardEvents)},

		{"GET", "/api/v1/stats/realtime", s.orWallboard(s.statsRealtime, s.wallboardRealtime)},
		{"GET", "/api/v1/stats/queues", s.api(s.statsQueues)},
		{"GET", "/api/v1/stats/agents", s.api(s.statsAgents)},
		{"GET", "/api/v1/calls", s.api(s.listCalls)},
		{"PUT", "/api/v1/agents/{login}/cti/state", s.api(s.superviseState)},
		{"POST", "/api/v1/agents/{login}/cti/logout", s.api(s.superviseLogout)},
		{"POST", "/api/v1/services/{id}/wallboard-token", s.api(s.createWallboardToken)},
		{"DELETE", "/api/v1/services/{id}/wallboard-token", s.api(s.deleteWallboardTokens)},
		{"POST", "/api/v1/calls/{id}/monitor", s.api(s.monitorCall)},
		{"PUT", "/api/v1/calls/{id}/monitor", s.api(s.monitorCall)},
		{"DELETE", "/api/v1/calls/{id}/monitor", s.api(s.monitorCall)},
		{"GET", "/api/v1/recordings/{id}", s.api(s.getRecording)},
		{"GET", "/api/v1/recordings/{id}/access-log", s.api(s.recordingAccessLog)},

		{"GET", "/api/v1/tickets", s.api(s.listTickets)},
		{"GET", "/api/v1/tickets/{id}", s.api(s.getTicket)},
		{"PATCH", "/api/v1/tickets/{id}", s.api(s.patchTicket)},

		{"GET", "/api/v1/site", s.api(s.getSite)},
		{"GET", "/api/v1/services", s.api(s.listServices)},
		{"GET", "/api/v1/services/{id}", s.api(s.getService)},
		{"PUT", "/api/v1/services/{id}", s.api(s.putService)},
		{"DELETE", "/api/v1/services/{id}", s.api(s.deleteService)},
		{"PUT", "/api/v1/services/{id}/caller-ids", s.api(s.putCallerIDs)},
		{"POST", "/api/v1/services/{id}/caller-ids", s.api(s.addCallerID)},
		{"PATCH", "/api/v1/services/{id}/caller-ids/{number}", s.api(s.patchCallerID)},
		{"DELETE", "/api/v1/services/{id}/caller-ids/{number}", s.api(s.deleteCallerID)},
		{"PUT", "/api/v1/services/{id}/favorites", s.api(s.putFavorites)},
		{"PUT", "/api/v1/services/{id}/groups", s.api(s.putGroups)},
		{"PUT", "/api/v1/services/{id}/queues", s.api(s.putQueues)},
		{"PUT", "/api/v1/services/{id}/numbers", s.api(s.putNumbers)},
		{"PUT", "/api/v1/services/{id}/recording", s.api(s.putRecording)},
		{"PUT", "/api/v1/services/{id}/audio/{kind}", s.api(s.putAudio)},
		{"DELETE", "/api/v1/services/{id}/audio/{kind}", s.api(s.deleteAudio)},
		{"GET", "/api/v1/audio/{ref}", s.api(s.getAudio)},
		{"GET", "/api/v1/agents", s.api(s.listAgents)},
		{"GET", "/api/v1/agents/{login}", s.api(s.getAgent)},
		{"PUT", "/api/v1/agents/{login}", s.api(s.putAgent)},
		{"DELETE", "/api/v1/agents/{login}", s.api(s.deleteAgent)},
		{"GET", "/api/v1/trunks", s.api(s.listTrunks)},
		{"PUT", "/api/v1/trunks/{id}", s.api(s.putTrunk)},
		{"DELETE", "/api/v1/trunks/{id}", s.api(s.deleteTrunk)},
	}
}

func (s *Server) routes() {
	for _, r := range s.routeList() {
		s.mux.HandleFunc(r.method+" "+r.path, r.h)
	}
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, map[string]any{"error": errorf(404, "not_found", "no such endpoint: %s %s", r.Method, r.URL.Path)})
	})
	if s.metrics != nil {
		// aggregate counters only; scraped without a session, as Prometheus does
		s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			s.metrics(w)
		})
	}
	// the wallboard's page, for a manager or a television holding a wallboard token
	s.mux.HandleFunc("GET /wallboard", s.wallboardPage)
	if s.console != nil {
		s.mux.Handle("/", s.console)
	}
}

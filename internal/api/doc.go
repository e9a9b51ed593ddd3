// Package api is Ringdesk's HTTP interface (API.md): sessions, the CTI commands an agent's
// widget sends, tickets, the administration of everything provisioning can set, the OpenAPI
// document and the WebSocket event stream. It turns HTTP into engine commands and store calls
// and engine errors into HTTP statuses, in one place. It decides who may do what (per role, per
// service) before anything is done. It must not import internal/sip, internal/media or
// internal/webrtc: those plug in through small interfaces it declares.
package api

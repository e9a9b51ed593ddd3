// Package web serves the agent console and the admin screens: static files embedded in the
// binary, plain ES modules with no build step. It knows nothing of the engine: the console
// talks to the API and the event WebSocket like any other client. It must not import anything
// of Ringdesk's.
package web

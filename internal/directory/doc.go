// Package directory is the site configuration as the running server reads it: an Index of
// one configuration version with every lookup the SIP layer, the engine and the API need
// (numbers, extensions and their digest secrets, queues, agents, trunks and their address
// allow-lists), built once per version and never changed; and Live, which holds the current
// Index, swaps it atomically and tells its subscribers. There is one way a new configuration
// comes in — Live.Reload, called after the API saves and by the watcher that notices another
// process's change — so every reader sees the same version.
//
// It may import site and store (the interfaces); it must not import the engine or any
// adapter.
package directory

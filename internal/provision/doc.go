// Package provision owns the site file (`ringdesk apply -f site.yaml`, API.md "Provisioning
// file") and the rules every configuration must obey.
//
//   - Load reads a file strictly: unknown fields, wrong types and unplayable audio become
//     Problems with the file's line numbers, never panics or silent drops.
//   - ValidateSite holds the semantic rules (slugs, references, site-wide unambiguous dialled
//     numbers, ranges…) for a whole site.Site; the admin API runs it on every edit, so the
//     rules live here once.
//   - Validate checks a File laid over the stored site and reports every problem at once,
//     with the file's paths and lines.
//   - Apply writes a valid file in one transaction, idempotently: applying the same file
//     twice changes nothing and does not move the configuration version.
//   - Merge, KeepSecrets, Hash and Defaults are the pieces an editor of one entity needs.
//
// It may import site, auth, store (the interfaces only) and wav. It must not import the
// engine, a store implementation, or any adapter (sip, media, webrtc, api).
package provision

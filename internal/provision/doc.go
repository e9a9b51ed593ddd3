// Package provision reads, validates and applies the site file (`ringdesk apply -f
// site.yaml`, API.md): services, agents, groups, queues, numbers, trunks and settings. A file
// is checked whole and every problem is reported with its path and line; nothing is applied
// unless all is well, and applying the same file twice changes nothing. The same rules check
// every edit the admin API makes (ValidateSite). It must not import the engine or any adapter.
package provision

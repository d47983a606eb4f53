// Package deploy holds the deployment files (Docker Compose, Kubernetes, the
// Slack app manifest, the example policy) and, in its tests, the checks that
// they agree with the code: images, probe paths and ports, environment
// variable names, secrets and the policy they carry.
package deploy

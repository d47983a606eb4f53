// Package deploy holds the deployment files (Docker Compose, Kubernetes, the
// Slack app manifest, the example policy) and, in its tests, the checks that
// they agree with the code: images, probe paths and ports, environment
// variable names, secrets and the policy they carry.
package deploy

import (
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Manifest is deploy/slack-app-manifest.yaml, the Slack app's manifest.
//
//go:embed slack-app-manifest.yaml
var Manifest []byte

// BotScopes are the bot token scopes the manifest asks for, in its order.
func BotScopes() ([]string, error) {
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(Manifest, &m); err != nil {
		return nil, fmt.Errorf("the app manifest: %w", err)
	}
	return m.OAuth.Scopes.Bot, nil
}

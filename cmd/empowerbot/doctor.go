package main

import (
	"context"
	"fmt"
	"io"

	"github.com/empowerbot/empowerbot/config"
	"github.com/empowerbot/empowerbot/deploy"
	"github.com/empowerbot/empowerbot/doctor"
	"github.com/empowerbot/empowerbot/policy"
	"github.com/empowerbot/empowerbot/slackapi"
)

// runDoctor is `empowerbot doctor`: the workspace against the policy and
// the manifest, one line per check; exit status 1 on any failure.
func runDoctor(ctx context.Context, _ []string, stdout, stderr io.Writer) int {
	env, err := config.LoadEnv(config.ModeRun)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	pol, err := policy.Load(env.PolicyFile)
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	scopes, err := deploy.BotScopes()
	if err != nil {
		fmt.Fprintln(stderr, "empowerbot:", err)
		return 1
	}
	client, _ := slackapi.New(slackapi.Config{BotToken: env.BotToken.Reveal(), APIURL: env.APIURL, Pacing: env.Pacing()})
	res := doctor.Run(ctx, doctor.Config{Slack: client, APIURL: env.APIURL, BotToken: env.BotToken.Reveal(), Policy: pol, Scopes: scopes})
	if doctor.Print(stdout, res) > 0 {
		return 1
	}
	return 0
}

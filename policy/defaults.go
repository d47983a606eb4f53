package policy

import (
	"time"

	"github.com/empowerbot/empowerbot/domain"
)

// DefaultSchedules returns the job schedules used where the policy names
// none (those of PRODUCT.md's example).
func DefaultSchedules() domain.Schedules {
	return domain.Schedules{
		Feedback:            "0 9 * * MON",
		FeedbackReminder:    "0 9 * * WED",
		CommitmentReminders: "0 8 * * *",
		EscalationTimeouts:  "*/5 * * * *",
		OutcomeFollowups:    "0 10 * * *",
		Digest:              "0 16 * * FRI",
	}
}

// Other policy defaults.
const (
	DefaultTimezone         = "UTC"
	DefaultCurrency         = "USD"
	DefaultAskAfter         = 72 * time.Hour
	DefaultPraiseDailyLimit = 10
	DefaultRemindBefore     = 24 * time.Hour
	DefaultAnonymityFloor   = 3
)

// Limits of the policy's words and texts, in characters.
const (
	maxQuestionRunes         = 2000 // a modal input's label
	maxSummaryRunes          = 150
	maxActivityOrValueLength = 64
	maxTeamNameRunes         = 80
	maxEmojiLength           = 100
)

// defaults returns the policy a file starts from: every optional setting at
// its default, the required sections empty.
func defaults() *domain.Policy {
	return &domain.Policy{
		Timezone:       DefaultTimezone,
		Location:       time.UTC,
		Currency:       DefaultCurrency,
		AlwaysEscalate: map[string]string{},
		Schedules:      DefaultSchedules(),
		Outcomes:       domain.Outcomes{AskAfter: DefaultAskAfter},
		Praise:         domain.Praise{DailyLimit: DefaultPraiseDailyLimit},
		Commitments:    domain.Commitments{RemindBefore: DefaultRemindBefore},
		Feedback: domain.Feedback{
			AnonymousAllowed: true, Questions: domain.DefaultQuestions(), AnonymityFloor: DefaultAnonymityFloor,
		},
	}
}

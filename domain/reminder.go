package domain

// ReminderDM is the reminder one approver of a level got by DM about a
// pending decision (PRODUCT.md "Reminder before the move up"): the message,
// so that it follows the decision's cards, as the notifier that sent it
// names it.
type ReminderDM struct {
	// Level is the level the approver was reminded for.
	Level int
	// Approver is the user the DM went to.
	Approver string
	MessageRef
}

// ReminderFor returns the reminder DM approver got for level, if any.
func (d *DecisionRecord) ReminderFor(level int, approver string) (ReminderDM, bool) {
	for _, r := range d.ReminderDMs {
		if r.Level == level && r.Approver == approver {
			return r, true
		}
	}
	return ReminderDM{}, false
}

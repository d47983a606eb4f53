package domain

import "github.com/empowerbot/empowerbot/jsonenc"

// appendCreatedData appends the data of a decision.created event as
// EncodeData writes it by json.Marshal and sortKeys (its keys sorted),
// without either: every decision's creation writes one, on the ack path.
func appendCreatedData(dst []byte, p DecisionCreatedData) []byte {
	f := p.DecisionFacts
	dst = append(dst, '{')
	dst = field(dst, "activity", f.Activity)
	dst = jsonenc.Field(dst, "amount")
	dst = jsonenc.Int(dst, int64(f.Amount))
	dst = jsonenc.Field(dst, "autonomous")
	dst = jsonenc.Bool(dst, f.Autonomous)
	dst = jsonenc.Field(dst, "created_at")
	dst = jsonenc.Int(dst, int64(f.CreatedAt))
	dst = field(dst, "currency", f.Currency)
	dst = fieldOmitEmpty(dst, "customer", f.Customer)
	dst = fieldOmitEmpty(dst, "level", f.Level)
	dst = field(dst, "requester", f.Requester)
	if len(f.Tags) > 0 {
		dst = jsonenc.Field(dst, "tags")
		dst = jsonenc.Strings(dst, f.Tags)
	}
	dst = fieldOmitEmpty(dst, "team_name", f.TeamName)
	return append(dst, '}')
}

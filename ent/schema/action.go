package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ActionRun is one run of a self-service action: who asked for what on
// which entity, the plan shown to approvers, where the run stands, and what
// it produced. Its log lines are ActionRunEvents, its decisions
// ActionApprovals. The queue job that executes it refers to it by id.
type ActionRun struct {
	ent.Schema
}

// Annotations names the table.
func (ActionRun) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "action_runs"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the ActionRun.
func (ActionRun) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().Comment("a UUIDv7"),
		field.String("action").Immutable().NotEmpty().Comment("the action's id"),
		field.String("target").Immutable().NotEmpty().Comment("ref of the entity the action runs on"),
		field.String("target_owner").Immutable().Default("").Comment("ref of the target's owner when the run was asked for"),
		field.Text("input").Immutable().Comment("the validated input, JSON"),
		field.Text("plan").Default("").Comment("the plan (dry run) shown to approvers, JSON"),
		field.Enum("state").Values("pending_approval", "queued", "running", "succeeded", "failed", "cancelled", "expired", "rejected"),
		field.String("requested_by").Immutable().NotEmpty().Comment("the requester's subject"),
		field.String("requester").Immutable().Default("").Comment("the requester's user ref or name, for display"),
		field.Text("actor").Immutable().Comment("the requester as the run acts for them (subject, user, groups), JSON"),
		field.Text("result").Default("").Comment("what the run produced, JSON"),
		field.Text("error").Default("").Comment("why it failed"),
		field.Int("attempts").Default(0).Comment("times Run was started"),
		field.Int64("job_id").Optional().Nillable().Comment("the queue job executing it"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		field.Time("approval_expires_at").Optional().Nillable().Comment("a pending approval expires then"),
	}
}

// Indexes of the ActionRun.
func (ActionRun) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("state", "created_at"),
		index.Fields("requested_by", "created_at"),
		index.Fields("target", "created_at"),
		index.Fields("target_owner", "state"),
	}
}

// ActionRunEvent is one line of a run's log, a step it began, or a change
// of its state, in order.
type ActionRunEvent struct {
	ent.Schema
}

// Annotations names the table.
func (ActionRunEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "action_run_events"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the ActionRunEvent.
func (ActionRunEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("run_id").Immutable().NotEmpty(),
		field.Int("seq").Immutable().Comment("order within the run, from 1"),
		field.Time("time").Default(time.Now).Immutable(),
		// done records a finished step (RunReporter.Once), whose name is
		// the message: a resumed run skips it.
		field.Enum("kind").Values("log", "step", "state", "done").Immutable(),
		field.Text("message").Immutable(),
	}
}

// Indexes of the ActionRunEvent.
func (ActionRunEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("run_id", "seq").Unique()}
}

// ActionApproval is one approver's decision on a run.
type ActionApproval struct {
	ent.Schema
}

// Annotations names the table.
func (ActionApproval) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "action_approvals"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the ActionApproval.
func (ActionApproval) Fields() []ent.Field {
	return []ent.Field{
		field.String("run_id").Immutable().NotEmpty(),
		field.String("approver").Immutable().NotEmpty().Comment("the approver's subject"),
		field.String("approver_name").Immutable().Default(""),
		field.Enum("decision").Values("approve", "reject").Immutable(),
		field.Text("comment").Immutable().Default(""),
		field.Time("time").Default(time.Now).Immutable(),
	}
}

// Indexes of the ActionApproval.
func (ActionApproval) Indexes() []ent.Index {
	return []ent.Index{index.Fields("run_id", "approver").Unique()}
}

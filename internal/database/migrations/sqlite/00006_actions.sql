-- +goose Up
-- Self-service action runs: a run (who asked for what, on which entity, the
-- plan, its state and result), its log and state events, and approvers'
-- decisions. The durable queue's own tables are river's (internal/jobs).
CREATE TABLE `action_approvals` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `run_id` text NOT NULL, `approver` text NOT NULL, `approver_name` text NOT NULL DEFAULT (''), `decision` text NOT NULL, `comment` text NOT NULL DEFAULT (''), `time` datetime NOT NULL);
CREATE UNIQUE INDEX `actionapproval_run_id_approver` ON `action_approvals` (`run_id`, `approver`);
CREATE TABLE `action_runs` (`id` text NOT NULL, `action` text NOT NULL, `target` text NOT NULL, `target_owner` text NOT NULL DEFAULT (''), `input` text NOT NULL, `plan` text NOT NULL DEFAULT (''), `state` text NOT NULL, `requested_by` text NOT NULL, `requester` text NOT NULL DEFAULT (''), `actor` text NOT NULL, `result` text NOT NULL DEFAULT (''), `error` text NOT NULL DEFAULT (''), `attempts` integer NOT NULL DEFAULT (0), `job_id` integer NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `started_at` datetime NULL, `finished_at` datetime NULL, `approval_expires_at` datetime NULL, PRIMARY KEY (`id`));
CREATE INDEX `actionrun_state_created_at` ON `action_runs` (`state`, `created_at`);
CREATE INDEX `actionrun_requested_by_created_at` ON `action_runs` (`requested_by`, `created_at`);
CREATE INDEX `actionrun_target_created_at` ON `action_runs` (`target`, `created_at`);
CREATE INDEX `actionrun_target_owner_state` ON `action_runs` (`target_owner`, `state`);
CREATE TABLE `action_run_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `run_id` text NOT NULL, `seq` integer NOT NULL, `time` datetime NOT NULL, `kind` text NOT NULL, `message` text NOT NULL);
CREATE UNIQUE INDEX `actionrunevent_run_id_seq` ON `action_run_events` (`run_id`, `seq`);

-- +goose Down
DROP TABLE `action_run_events`;
DROP TABLE `action_runs`;
DROP TABLE `action_approvals`;

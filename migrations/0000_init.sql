CREATE TABLE `objects` (
	`sandbox_id` text NOT NULL,
	`key` text NOT NULL,
	`create_revision` integer NOT NULL,
	`mod_revision` integer NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`sandbox_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `revisions` (
	`sandbox_id` text NOT NULL,
	`revision` integer NOT NULL,
	`key` text NOT NULL,
	`create_revision` integer NOT NULL,
	`prev_revision` integer NOT NULL,
	`deleted` integer NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`sandbox_id`, `revision`)
);
--> statement-breakpoint
CREATE TABLE `sandboxes` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`owner` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`kubernetes_version` text NOT NULL,
	`speed` real DEFAULT 1 NOT NULL,
	`spec` text NOT NULL,
	`token_generation` integer DEFAULT 1 NOT NULL,
	`compacted_revision` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sandboxes_owner_created_idx` ON `sandboxes` (`owner`,`created_at`);--> statement-breakpoint
CREATE INDEX `sandboxes_expires_idx` ON `sandboxes` (`expires_at`);
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`sandbox_id` text,
	`url` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`filter` text NOT NULL,
	`secrets` text NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	`disabled_reason` text
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_owner_idx` ON `webhook_endpoints` (`owner`);--> statement-breakpoint
CREATE INDEX `webhook_endpoints_sandbox_idx` ON `webhook_endpoints` (`sandbox_id`);--> statement-breakpoint
CREATE TABLE `webhook_outbox` (
	`sandbox_id` text NOT NULL,
	`seq` integer NOT NULL,
	`endpoints` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`sandbox_id`, `seq`)
);

CREATE TABLE IF NOT EXISTS `_goop_tables` (
	`name` text PRIMARY KEY NOT NULL,
	`schema` text NOT NULL,
	`source` text NOT NULL,
	`created` text NOT NULL,
	`updated` text NOT NULL
);

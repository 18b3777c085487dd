"""The native `flex` provider plugin: its schema, its front end over the core, and its resources in a program."""

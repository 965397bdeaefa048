"""Identity: accounts, enrolment, sign-in, credentials, sessions, throttling, practices."""

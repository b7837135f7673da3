"""Reminder emails sent by `flask reminders send`, run daily.

A practitioner hears when a check is due within 14 days, when their pass expires within
30 days, and each week while a check is overdue; agency leads and team managers get a
weekly digest of their people's overdue checks. `rules` decides what is due when (pure);
`operations` finds the recipients in a few set-based queries and sends each reminder
once, recording it in the same transaction (quizapp.models.ReminderSend).
"""

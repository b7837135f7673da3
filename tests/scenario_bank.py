"""A small bank holding a branching scenario, shared by the scenario tests.

Best path: ask-gp (2), challenge (2), escalate (2) = 6 points, ending "protected".
"""

from __future__ import annotations

SCENARIO_BANK = """\
format: 1
id: scenario-bank
title: A scenario check
summary: A check with a branching scenario, used in tests.
source:
  publisher: Test Partnership
  title: Test briefing
findings:
  - id: curiosity
    kind: concern
    text: Professionals lacked curiosity about missed visits.
  - id: conference
    kind: concern
    text: The conference did not resolve differences between professionals.
stages:
  - id: the-conference
    title: The conference
    narrative: A child protection conference is coming up.
questions:
  - id: warm-up
    stage: the-conference
    type: true_false
    findings: [curiosity]
    prompt: Missed health visits can be a sign of risk.
    feedback: They can; ask why.
    answer: true
    feedback_true: Right.
    feedback_false: They can be.
  - id: conference-path
    stage: the-conference
    type: scenario
    findings: [conference]
    prompt: You are the health visitor for a baby on a child protection plan.
    feedback: Challenge, record and escalate when a plan underestimates risk.
    points: 3
    start: before
    nodes:
      - id: before
        kind: story
        title: Before the conference
        text: Mum has missed two of your visits.
        next: missed-visits
      - id: missed-visits
        kind: decision
        text: What do you do about the missed visits?
        alternatives:
          - id: ask-gp
            text: Ask the GP whether the baby has been seen
            next: plan
            feedback: Asking others who know the family is professional curiosity.
            points: 2
            findings: [curiosity]
          - id: wait
            text: Wait for the next visit
            next: plan
            feedback: Waiting lets a pattern of missed contact grow.
            points: 0
            findings: [curiosity]
      - id: plan
        kind: decision
        text: The chair proposes to step the plan down. You think the risk is higher.
        alternatives:
          - id: challenge
            text: Say so in the meeting and explain why
            next: chair-refuses
            feedback: Saying so in the meeting is where differences get resolved.
            points: 2
            findings: [conference]
          - id: stay-silent
            text: Say nothing
            next: missed
            feedback: Silence lets a plan you disagree with stand.
            points: 0
            findings: [conference]
      - id: chair-refuses
        kind: decision
        text: The chair keeps to the plan.
        alternatives:
          - id: escalate
            text: Escalate under the escalation procedure
            next: protected
            feedback: Escalation is how professional differences are resolved.
            points: 2
          - id: minute
            text: Ask for your dissent to be minuted
            next: partly
            feedback: A minuted dissent is a record, not a resolution.
            points: 1
          - id: tell-gp-finding
            text: Share what the GP told you with the social worker
            next: protected
            feedback: Sharing what you found gives the plan a better footing.
            points: 1
            requires: ["chosen: missed-visits.ask-gp"]
      - id: protected
        kind: ending
        title: The baby is protected
        text: The plan is reviewed and the baby is safer.
        outcome: protected
      - id: partly
        kind: ending
        title: The plan stands, with your dissent recorded
        text: Your concern is on record, but the plan is unchanged.
        outcome: partly-protected
      - id: missed
        kind: ending
        title: The risk is missed
        text: The plan is stepped down.
        outcome: risk-missed
signposting: Ask your safeguarding lead.
check:
  pass_mark: 80
  certainty: false
  refresh_months: 12
"""

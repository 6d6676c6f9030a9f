"""Side effects: calls that change the world and must not run twice (RL401, RL402, RL103).

A charge, an email or a row inserted by a job is repeated when the job runs again (a retry, a
redelivery). The rooms:

- ``catalogue``: the side-effect catalogue (``rules/side_effects.yaml`` plus the user's packs
  from ``extra-side-effects``), loaded, validated and compiled into matchers;
- ``facts``: what the per-file scan records (plain, picklable values);
- ``calls``: which catalogue entry a call is, and what guard it carries (keys, headers ...);
- ``scan``: the per-file scan, riding the engine's single walk;
- ``jobs``: the project half: the effects each job's code performs, their guards along the
  call path, why the job can run twice, and what can fail into a retry after an effect;
- ``fix``: RL401's fix, an idempotency key derived from the job's stable id.
"""

"""The pipeline, top to bottom: files -> CST -> job model -> findings.

1. ``file_phase.analyse_source`` (per file, in worker processes, largest files first): a pure
   function of the bytes and the settings giving facts and per-file findings.
2. ``build_project`` (in the main process): put every file's facts under its module name and let
   each adapter resolve jobs across modules.
3. ``run``: project-level rules over the job model, then suppressions, per-file-ignores and
   unused-suppression reports, sorted for deterministic output.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from retrylint.config import Config
from retrylint.facts import FileFacts, FileResult
from retrylint.file_phase import AnalysisSettings, Guard, analyse_source, describe
from retrylint.findings import Finding
from retrylint.model import Job, Sourced
from retrylint.realpaths import RealPaths
from retrylint.source import SourceText

if TYPE_CHECKING:
    from retrylint.cache import ResultCache
    from retrylint.incremental import Outcome
    from retrylint.project import ModuleFacts, ProjectIndex
    from retrylint.reach import JobReach

# Told (files analysed, files in all) during the per-file phase: the CLI's progress bar.
Progress = Callable[[int, int], None]

# Fewer files than this, holding fewer bytes than that, are analysed in-process: a pool's
# start-up costs more than it saves (a megabyte is about two seconds of parsing).
PARALLEL_THRESHOLD = 24
PARALLEL_MIN_BYTES = 1024 * 1024
# libcst needs 300-650 bytes of memory per source byte while parsing: generated files larger
# than this are skipped (and said so) rather than risking the machine's memory.
MAX_FILE_BYTES = 4 * 1024 * 1024
# A file whose stat is trusted for its digest must have been still this long (see digest_sources).
SETTLED_NS = 2 * 10**9


@dataclass
class RunResult:
    findings: list[Finding]
    jobs: list[Job]
    errors: list[tuple[str, str]]  # (path, message): files that could not be checked
    files: int
    stored_reach: JobReach | None  # None in a stored outcome (see ``run``'s findings_only)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) not analysed
    sources: dict[str, SourceText] = field(default_factory=dict)

    @property
    def reach(self) -> JobReach:
        """What code each job runs; a run asked for findings only may not have it."""
        if self.stored_reach is None:
            raise ValueError("this outcome came from the cache: run without findings_only")
        return self.stored_reach


_Item = tuple[str, AnalysisSettings, "bytes | None", "ResultCache | None"]


def _analyse_path(item: _Item) -> FileResult:
    """One file's result from the bytes given (else read here), stored when there is a cache."""
    path, settings, data, cache = item
    if data is None:
        try:
            size = os.stat(path).st_size
            if size > MAX_FILE_BYTES:
                return FileResult(path, None, error=f"skipped: {size} bytes, larger than the limit")
            with open(path, "rb") as handle:
                data = handle.read()
        except IsADirectoryError:
            return FileResult(path, None, error="is a directory, not a file")
        except OSError as error:
            return FileResult(path, None, error=error.strerror or str(error))
    result = _analyse_guarded(path, data, settings)
    if cache is not None:
        from retrylint.cache import digest

        cache.store(path, digest(data), result)
    return result


def _analyse_guarded(path: str, data: bytes, settings: AnalysisSettings) -> FileResult:
    """Bad input never stops the run; neither does a bug in one adapter on one file."""
    try:
        return analyse_source(path, data, settings)
    except Exception as error:  # an internal error: report it against the file, go on
        return FileResult(path, None, error=f"internal error: {type(error).__name__}: {error}")


def analyse_files(
    paths: Sequence[str],
    settings: AnalysisSettings,
    overlay: dict[str, bytes] | None = None,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
    contents: dict[str, bytes] | None = None,
    digests: dict[str, bytes] | None = None,
) -> list[FileResult]:
    """Per-file phase over many files, on every core when there is enough work, in ``paths``'
    order.

    ``overlay`` maps paths to bytes that stand in for the file on disk (the fixer's rounds; never
    cached); ``progress`` is told (files done, files in all) as results come in. With a
    ``cache``, a file with a content digest in ``digests`` whose entry was made from the same
    bytes is answered from the cache; the rest are analysed (from their bytes in ``contents``
    when they were read already, else read then) and stored.
    """
    overlay = overlay or {}
    contents = contents or {}
    digests = digests or {}
    done: dict[str, FileResult] = {}
    if cache is not None:
        with _long_lived():
            for path in paths:
                if path not in overlay and path in digests:
                    hit = cache.load(path, digests[path])
                    if hit is not None:
                        done[path] = hit
    todo: list[_Item] = [
        (p, settings, overlay[p], None) if p in overlay else (p, settings, contents.get(p), cache)
        for p in paths
        if p not in done
    ]
    for result in _counted(_schedule(todo), len(paths), progress, already=len(done)):
        done[result.path] = result
    return [done[path] for path in paths]


def _schedule(items: list[_Item]) -> Iterable[FileResult]:
    """Results in any order: serially for a little work, else on a pool, largest files first.

    Handing out the biggest files first (and small files in small chunks) keeps the tail short:
    no core sits idle while the other parses one large file picked up last. A pre-commit run on a
    few small files never pays for starting a pool.
    """
    workers = min(os.cpu_count() or 1, 8)
    sizes = {item[0]: _size(item) for item in items}
    enough = len(items) >= PARALLEL_THRESHOLD or sum(sizes.values()) >= PARALLEL_MIN_BYTES
    if workers < 2 or len(items) < 2 or not enough:
        return map(_analyse_path, items)
    import multiprocessing  # here: a run that starts no pool never imports it

    items = sorted(items, key=lambda item: sizes[item[0]], reverse=True)
    context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
    chunksize = max(1, min(8, len(items) // (workers * 16)))
    return _pooled(items, workers, context, chunksize)


def _pooled(items: list[_Item], workers: int, context: Any, chunksize: int) -> Iterable[FileResult]:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(_analyse_path, items, chunksize=chunksize)


def _size(item: _Item) -> int:
    path, _, data, _ = item
    if data is not None:
        return len(data)
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _counted(
    results: Iterable[FileResult], total: int, progress: Progress | None, already: int = 0
) -> list[FileResult]:
    collected = []
    if progress is not None and already:
        progress(already, total)
    for result in results:
        collected.append(result)
        if progress is not None:
            progress(already + len(collected), total)
    return collected


def digest_sources(
    paths: Sequence[str], cache: ResultCache
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The content digest of every readable file of a size retrylint analyses, and the bytes of
    the files it had to read for that (others are left to the per-file phase, which says why).

    A file whose size, times, inode and device are those recorded with its digest by an earlier
    run is not read again, as git's index and ruff's cache trust a file's stat: reading and
    hashing every file was a third of a run where nothing changed. Any write changes a file's
    ctime, which no tool can set back; a file changed less than ``SETTLED_NS`` before it is
    seen is not recorded, so two writes within one tick of a coarse clock are never mistaken
    for none.
    """
    from retrylint.cache import digest

    known = cache.stat_index()
    recorded: dict[str, tuple[tuple[int, ...], bytes]] = {}
    digests: dict[str, bytes] = {}
    contents: dict[str, bytes] = {}
    settled = time.time_ns() - SETTLED_NS
    for path in paths:
        try:
            stat = os.stat(path)
            if stat.st_size > MAX_FILE_BYTES:
                continue
            key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
            seen = known.get(path)
            if seen is not None and seen[0] == key:
                digests[path] = seen[1]
                continue
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        contents[path] = data
        digests[path] = digest(data)
        if max(stat.st_ctime_ns, stat.st_mtime_ns) < settled:
            recorded[path] = (key, digests[path])
    if recorded:
        cache.store_stat_index({**known, **recorded})
    return digests, contents


def build_project(
    results: Iterable[FileResult],
    module_names: dict[str, str] | None = None,
    errors: list[tuple[str, str]] | None = None,
) -> tuple[ProjectIndex, list[Job]]:
    """The project index and every job, from the per-file facts; adapter crashes go to errors."""
    errors = errors if errors is not None else []
    from retrylint.frameworks import adapter_modules
    from retrylint.linking import link_call_sites
    from retrylint.module_names import ModuleNamer
    from retrylint.project import ModuleFacts, ProjectIndex

    namer = ModuleNamer(module_names)
    modules = []
    for result in results:
        if result.facts is None:
            continue
        name, is_package = namer.name(result.path)
        modules.append(ModuleFacts(name, result.path, is_package, result.facts))
    index = ProjectIndex(modules)
    jobs: list[Job] = []
    for module in index:
        jobs.extend(_file_jobs(index, module))
    for adapter in adapter_modules():
        if not hasattr(adapter, "build_jobs"):
            continue
        try:
            jobs.extend(adapter.build_jobs(index))
        except Exception as error:  # one adapter's bug must not hide every other finding
            name = adapter.__name__.rsplit(".", 1)[-1]
            errors.append(("<project>", f"internal error in the {name} adapter: {describe(error)}"))
    for adapter in adapter_modules():
        finish = getattr(adapter, "finish_jobs", None)
        if finish is None:
            continue
        try:
            jobs = finish(index, jobs)
        except Exception as error:
            name = adapter.__name__.rsplit(".", 1)[-1]
            errors.append(("<project>", f"internal error in the {name} adapter: {describe(error)}"))
    jobs = link_call_sites(index, jobs)
    jobs.sort(key=lambda job: (job.path, job.span.line, job.span.column, job.qualname))
    return index, jobs


def _file_jobs(index: ProjectIndex, module: ModuleFacts) -> Iterable[Job]:
    """Jobs an adapter could finish inside one file: qualify their names with the module's.

    Exception names were written per file (``$.SyncError``, ``.errors.Timeout``); the project
    knows where they are defined.
    """

    def canonical(field: Sourced[Any]) -> Sourced[Any]:
        if not isinstance(field.value, tuple):
            return field
        names = tuple(index.canonical(name, module) for name in field.value)
        return replace(field, value=names)

    for job in module.facts.jobs:
        policy = replace(
            job.policy,
            retry_on=canonical(job.policy.retry_on),
            permanent=canonical(job.policy.permanent),
        )
        yield replace(
            job, qualname=f"{module.module}.{job.qualname}", path=module.path, policy=policy
        )


def run(
    paths: Sequence[str],
    config: Config,
    selected: frozenset[str],
    *,
    stdin: tuple[str, bytes] | None = None,
    module_names: dict[str, str] | None = None,
    overlay: dict[str, bytes] | None = None,
    verbose: bool = False,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
    findings_only: bool = False,
    prefilter: bool = True,
) -> RunResult:
    """Check ``paths`` (and stdin's bytes under a file name): findings, jobs and file errors.

    With a ``cache``, unchanged files are not analysed again (stdin and overlays always are).
    ``findings_only`` says the caller reads only findings, errors and skipped files (`check`
    without fixes): a run over exactly the files and bytes of a stored run then answers with that
    run's outcome, with no jobs and no reach, and without importing the parser.
    """
    frozen = gc.get_freeze_count()
    try:
        return _run(
            paths,
            config,
            selected,
            stdin=stdin,
            module_names=module_names,
            overlay=overlay,
            verbose=verbose,
            progress=progress,
            cache=cache,
            findings_only=findings_only,
            prefilter=prefilter,
        )
    finally:
        if gc.get_freeze_count() != frozen:
            # What the run kept is the collector's again once the caller drops it (Python
            # unfreezes all at once: a caller's own frozen objects too).
            gc.unfreeze()


@contextlib.contextmanager
def _long_lived() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a block builds objects that live until the
    run ends, and exempt them from its later passes (``gc.freeze``).

    Reading 5,559 files' facts from the cache, building the index, the jobs and their reach keep
    millions of small objects alive at once and free almost none: each pass of the collector
    walked all of them again to find nothing, and after a mere pause the first young pass walked
    them all once more. That was about a fifth of a run whose project phase ran over cached
    facts. Parsing keeps the collector on (libcst leaves cycles behind: 8 MB of source analysed
    with it off held 970 MiB instead of 144). ``run`` hands the frozen objects back to the
    collector when it returns, so a process running many checks frees what each one left.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _run(
    paths: Sequence[str],
    config: Config,
    selected: frozenset[str],
    *,
    stdin: tuple[str, bytes] | None,
    module_names: dict[str, str] | None,
    overlay: dict[str, bytes] | None,
    verbose: bool,
    progress: Progress | None,
    cache: ResultCache | None,
    findings_only: bool,
    prefilter: bool,
) -> RunResult:
    settings = AnalysisSettings(config, selected, verbose, prefilter)
    if stdin is not None or overlay:
        cache = None
    digests, contents = digest_sources(paths, cache) if cache is not None else ({}, {})
    run_key = last_key = None
    if cache is not None and len(digests) == len(paths):
        run_key = _run_key(cache, settings, paths, digests, module_names)
        last_key = _run_key(cache, settings, paths, None, module_names)
        if findings_only:
            outcome = cache.load_run(run_key, paths)
            if outcome is None:
                outcome = _rechecked(
                    cache, settings, paths, digests, contents, last_key, module_names
                )
                if outcome is not None:
                    cache.store_run(run_key, outcome)
            if outcome is not None:
                kept, file_errors, files, skipped_files = outcome
                return RunResult(kept, [], file_errors, files, None, skipped_files)
    from retrylint.checks import Project, rule_module
    from retrylint.findings import keep_job_code, merge_places
    from retrylint.reach import JobReach

    results = analyse_files(paths, settings, overlay, progress, cache, contents, digests)
    del contents  # the bytes of a large project need not outlive the per-file phase
    if stdin is not None:
        results.append(_analyse_guarded(stdin[0], stdin[1], settings))
    project_errors: list[tuple[str, str]] = []
    with _long_lived():
        index, jobs = build_project(results, module_names, project_errors)
        reach = JobReach(index, jobs, config.job_reach_depth)
        reached = reach.reached_paths()
    judged = _reached_in_full(results, reached, settings, overlay, stdin, cache)
    if judged is not results:  # analysed again: the project too
        results = judged
        project_errors = []
        with _long_lived():
            index, jobs = build_project(results, module_names, project_errors)
            reach = JobReach(index, jobs, config.job_reach_depth)
    errors = [(r.path, r.error) for r in results if r.error and not r.error.startswith("skipped")]
    errors.extend(
        (r.path, f"internal error in {part}: {reason}")
        for r in results
        for part, reason in r.internal_errors
    )
    errors.extend(project_errors)
    skipped = [(r.path, r.error) for r in results if r.error and r.error.startswith("skipped")]
    project = Project(index, tuple(jobs), config, reach)
    findings: list[Finding] = keep_job_code((f for r in results for f in r.findings), reach)
    project_found: list[Finding] = []
    for code in sorted(selected):
        rule = rule_module(code)
        if rule is not None and hasattr(rule, "check_project"):
            failures = Guard(verbose)
            found = failures.run(code, lambda rule=rule: list(rule.check_project(project)))
            project_found.extend(found or ())
            findings.extend(merge_places(found or ()))
            errors.extend(
                ("<project>", f"internal error in {part}: {why}") for part, why in failures.failures
            )
    unfiltered = findings
    findings = _filter(findings, results, config, selected)
    findings.sort(key=Finding.sort_key)
    if cache is not None and run_key is not None and last_key is not None:
        from retrylint.incremental import LastRun, by_path, mentions_of

        outcome = (findings, errors, len(results), skipped)
        cache.store_run(run_key, outcome)
        reached_paths = reach.reached_paths()
        mentions = mentions_of([jobs, project_found, reached_paths])
        last = LastRun(digests, outcome, mentions, by_path(unfiltered), reached_paths)
        cache.store_run(last_key, last)
    return RunResult(findings, jobs, errors, len(results), reach, skipped)


def _rechecked(
    cache: ResultCache,
    settings: AnalysisSettings,
    paths: Sequence[str],
    digests: dict[str, bytes],
    contents: dict[str, bytes],
    last_key: str,
    module_names: dict[str, str] | None,
) -> Outcome | None:
    """The last run's outcome with the changed files' findings redone, when no change can
    alter the project phase's output (``incremental``); else None, and the caller runs it all.

    Files analysed here are stored in the cache, so a full run after a refusal reads them back.
    """
    from retrylint.incremental import LastRun, redone, with_files_replaced
    from retrylint.module_names import ModuleNamer

    last = cache.load_run(last_key, paths)
    if not isinstance(last, LastRun):
        return None
    changed = last.changed(digests)
    if not changed:
        return None
    before = [cache.load(path, last.digests[path]) for path in changed]
    after = analyse_files(changed, settings, cache=cache, contents=contents, digests=digests)
    after = _reached_in_full(after, last.reached, settings, None, None, cache)
    namer = ModuleNamer(module_names)
    unfiltered = dict(last.unfiltered)
    for path, old, new in zip(changed, before, after, strict=True):
        mine = redone(last, path, old, new, last.mentions_file(path, namer.name(path)[0]))
        if mine is None:
            return None
        unfiltered[path] = tuple(mine)
    mine = [f for path in changed for f in unfiltered[path]]
    kept = _filter(mine, after, settings.config, settings.selected)
    outcome = with_files_replaced(last.outcome, changed, kept)
    cache.store_run(
        last_key, replace(last, digests=digests, outcome=outcome, unfiltered=unfiltered)
    )
    return outcome


def _reached_in_full(
    results: list[FileResult],
    reached: frozenset[str],
    settings: AnalysisSettings,
    overlay: dict[str, bytes] | None,
    stdin: tuple[str, bytes] | None,
    cache: ResultCache | None,
) -> list[FileResult]:
    """``results`` with the outlined files some job reaches analysed in full: job code is judged
    in full. Their facts do not change (the outline holds exactly the project facts); their
    findings and scans are added. ``results`` itself when no such file was outlined."""
    paths = [r.path for r in results if r.outlined and r.path in reached]
    if not paths:
        return results
    given = dict(overlay or {})
    if stdin is not None:
        given[stdin[0]] = stdin[1]
    full = replace(settings, prefilter=False)
    # Never answered from the cache (it holds the outline under these bytes), but stored there:
    # the next run reads the full result at once, and findings are the same either way.
    again = {r.path: r for r in analyse_files(paths, full, given, cache=cache)}
    return [again.get(result.path, result) for result in results]


def _run_key(
    cache: ResultCache,
    settings: AnalysisSettings,
    paths: Sequence[str],
    digests: dict[str, bytes] | None,
    module_names: dict[str, str] | None,
) -> str:
    """What a whole run's outcome depends on: the settings, the config's root (per-file-ignores
    are relative to it), module names given by the caller, and every path with its bytes.

    Without ``digests``, the key of the last run over these paths in these settings, whatever
    their bytes (``incremental.LastRun``).
    """
    config = settings.config
    parts: list[object] = [
        settings.cache_key(),
        str(config.root),
        sorted((module_names or {}).items()),
    ]
    if digests is None:
        parts.append("last run")
        parts.extend(paths)
    else:
        parts.extend((path, digests[path]) for path in paths)
    return cache.run_key(parts)


def _filter(
    findings: list[Finding],
    results: Sequence[FileResult],
    config: Config,
    selected: frozenset[str],
) -> list[Finding]:
    """Selection, per-file-ignores, suppression comments, and RL002 for unused suppressions."""
    from retrylint.catalog import load_catalog
    from retrylint.checks.rl002 import unused_suppressions
    from retrylint.suppressions import SuppressionMap

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.code in selected:
            by_path.setdefault(finding.path, []).append(finding)
    known = frozenset(load_catalog().codes())
    real_paths = RealPaths()
    kept: list[Finding] = []
    for result in results:
        facts = result.facts
        found = by_path.pop(result.path, [])
        if not found and (facts is None or not facts.suppressions):
            continue  # most files: nothing to filter and no comment that could be unused
        relpath = real_paths.relative(result.path, config.root)
        mine = [f for f in found if not config.is_ignored_for(relpath, f.code)]
        if facts is None:
            kept.extend(mine)
            continue
        scan = _scan_of(facts)
        suppressions = SuppressionMap(scan)
        kept.extend(f for f in mine if not suppressions.suppresses(f))
        if "RL002" in selected and not config.is_ignored_for(relpath, "RL002"):
            stale = suppressions.unused(selected, known)
            if stale and not suppressions.ignore_file:
                kept.extend(unused_suppressions(result.path, stale))
    for leftovers in by_path.values():  # findings on files outside the results (none expected)
        kept.extend(leftovers)
    return kept


def _scan_of(facts: FileFacts):
    from retrylint.suppressions import CommentScan

    return CommentScan(facts.suppressions, facts.ignore_file, facts.statement_starts)

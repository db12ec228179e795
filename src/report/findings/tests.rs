//! Folding, linking and ranking on hand-built results (pure logic: no server).

use super::*;
use crate::chain::{Finding as GraphFinding, FindingKind as GraphKind, Severity as GraphSeverity};
use crate::config::History;
use crate::db::ServerError;
use crate::findings::{LeftBehind, SchemaDifference};
use crate::report::RevisionView;
use crate::schema::{Change, Column, Index, IndexColumn};

fn api_token() -> Column {
    Column {
        name: "api_token".into(),
        column_type: "varchar(64)".into(),
        nullable: true,
        ..Column::default()
    }
}

fn index_on(name: &str, column: &str, unique: bool) -> Index {
    Index {
        name: name.into(),
        unique,
        columns: vec![IndexColumn::column(column)],
        kind: Default::default(),
        visible: true,
    }
}

/// `- column user.api_token varchar(64) NULL`, blamed on `created_by` when given.
fn token_dropped(created_by: Option<&str>) -> SchemaDifference {
    SchemaDifference::created_by(
        Change::DropColumn {
            table: "user".into(),
            column: api_token(),
        },
        created_by.map(str::to_string),
    )
}

fn chain(ids: &[&str], graph: Vec<GraphFinding>) -> ChainView {
    ChainView {
        revisions: ids
            .iter()
            .enumerate()
            .map(|(i, id)| RevisionView {
                id: id.to_string(),
                description: String::new(),
                parents: vec![],
                status: Status::Passed,
                file: Some(format!("migrations/{id}.py")),
                line: Some(i + 1),
            })
            .collect(),
        heads: vec![ids.last().unwrap().to_string()],
        findings: graph,
    }
}

fn scope(new: &[&str]) -> Scope {
    Scope {
        since: None,
        new: new.iter().map(|s| s.to_string()).collect(),
        history: History::Informational,
    }
}

fn err(code: u16, message: &str) -> Option<ServerError> {
    Some(ServerError {
        code,
        message: message.into(),
    })
}

fn failed(title: &str, d: Defect) -> StepResult {
    let mut s = StepResult::new(StepAction::Downgrade, title).fail(d.summary.clone());
    s.revision = d.revision.clone();
    s.error = d.error.clone();
    s.defects.push(d);
    s
}

fn passed(title: &str) -> StepResult {
    StepResult::new(StepAction::Upgrade, title)
}

fn scenario(id: &str, steps: Vec<StepResult>) -> ScenarioResult {
    let status = if steps.iter().any(|s| s.status == Status::Failed) {
        Status::Failed
    } else {
        Status::Passed
    };
    ScenarioResult {
        status,
        steps,
        ..ScenarioResult::skipped(id, id, "")
    }
}

fn drop_tags(db: &str) -> Defect {
    Defect::new(
        Kind::DowngradeFails,
        Some("000003"),
        format!("downgrade of 000003 failed: 1051 (42S02): Unknown table '{db}.tags'"),
    )
    .with_error(
        err(1051, &format!("Unknown table '{db}.tags'")),
        Some(FailedStatement::at("DROP TABLE tags", 1, 1)),
    )
}

#[test]
fn one_defect_seen_by_four_scenarios_is_one_finding_with_four_sightings() {
    let mut warned = failed("downgrade → baseline", drop_tags("mh_2611241818265973_16"));
    warned.demoted = Some(WarningKind::Check);
    let runs = vec![
        scenario(
            "chain",
            vec![failed(
                "walk down: downgrade 000003 → 000002",
                drop_tags("mh_2611241818265973_1"),
            )],
        ),
        scenario(
            "round-trip",
            vec![failed(
                "round trip 000003",
                drop_tags("mh_2611241818265973_5"),
            )],
        ),
        scenario(
            "downgrade",
            vec![failed(
                "downgrade → baseline",
                drop_tags("mh_2611241818265973_15"),
            )],
        ),
        scenario("reproduce-error", vec![warned]),
    ];
    let f = derive(
        &chain(&["000001", "000002", "000003"], vec![]),
        &scope(&["000003"]),
        &runs,
    );
    assert_eq!(f.len(), 1, "{f:#?}");
    let one = &f[0];
    assert_eq!(one.id, FindingId(1));
    assert_eq!(serde_json::to_value(one.id).unwrap(), "F1");
    assert_eq!(one.defect.kind, Kind::DowngradeFails);
    assert_eq!(
        one.severity,
        Severity::Blocking,
        "the worst sighting counts"
    );
    assert_eq!(one.defect.revision.as_deref(), Some("000003"));
    assert!(one.new);
    assert_eq!(one.file.as_deref(), Some("migrations/000003.py"));
    assert_eq!(
        one.defect.error.as_ref().unwrap().message,
        "Unknown table 'tags'"
    );
    assert_eq!(
        one.defect.summary,
        "downgrade of 000003 failed: 1051 (42S02): Unknown table 'tags'"
    );
    assert_eq!(
        one.defect.statement,
        Some(FailedStatement::sql("DROP TABLE tags")),
        "the position is not part of what went wrong"
    );
    let seen: Vec<(&str, Severity)> = one
        .seen_in
        .iter()
        .map(|s| (s.scenario.name(), s.counted))
        .collect();
    assert_eq!(
        seen,
        [
            ("chain", Severity::Blocking),
            ("round-trip", Severity::Blocking),
            ("downgrade", Severity::Blocking),
            ("reproduce-error", Severity::Warning),
        ]
    );
}

#[test]
fn new_revisions_rank_first_then_blocking_before_warnings() {
    let old = {
        let mut s = failed(
            "walk down: downgrade 000002 → 000001",
            Defect::new(
                Kind::DowngradeFails,
                Some("000002"),
                "downgrade of 000002 failed",
            )
            .with_error(err(1091, "Can't DROP INDEX `ix_item_kode`"), None),
        );
        s.demoted = Some(WarningKind::History);
        s
    };
    let idem = {
        let mut s = StepResult::new(StepAction::Upgrade, "upgrade → head").fail("1050");
        s.revision = Some("000003".into());
        s.check = Some(StrictnessKey::Idempotency);
        s.demoted = Some(WarningKind::Check);
        s.defects.push(
            Defect::new(
                Kind::UpgradeFails,
                Some("000003"),
                "upgrade of 000003 failed",
            )
            .with_error(err(1050, "Table 'tag' already exists"), None),
        );
        s
    };
    let runs = vec![
        scenario(
            "chain",
            vec![
                failed(
                    "walk down: downgrade 000003 → 000002",
                    drop_tags("mh_2611241818265973_1"),
                ),
                old,
            ],
        ),
        scenario("idempotency", vec![idem]),
    ];
    let graph = vec![GraphFinding {
        severity: GraphSeverity::Warning,
        kind: GraphKind::MissingDown {
            irreversible: false,
        },
        revision: Some("000001".into()),
    }];
    let f = derive(
        &chain(&["000001", "000002", "000003"], graph),
        &scope(&["000003"]),
        &runs,
    );
    let ranked: Vec<(Kind, Severity, bool)> = f
        .iter()
        .map(|x| (x.defect.kind, x.severity, x.new))
        .collect();
    assert_eq!(
        ranked,
        [
            (Kind::DowngradeFails, Severity::Blocking, true),
            (Kind::NotIdempotent, Severity::Warning, true),
            // An old revision's empty downgrade is history, like its failures.
            (Kind::DowngradeFails, Severity::History, false),
            (Kind::EmptyDowngrade, Severity::History, false),
        ]
    );
    let ids: Vec<String> = f.iter().map(|x| x.id.to_string()).collect();
    assert_eq!(ids, ["F1", "F2", "F3", "F4"]);
    assert_eq!(f[3].seen_in[0].scenario, Place::GraphLoad);
}

#[test]
fn a_later_failure_on_an_object_an_earlier_downgrade_changed_is_linked_to_it() {
    let leaves = {
        let d = Defect::new(
            Kind::DowngradeLeavesSchema,
            Some("d1f2e3c4b5a6"),
            "downgrade of d1f2e3c4b5a6 does not restore the schema of c682ef478e45",
        )
        .with_diff(vec![
            token_dropped(Some("3e5106ee570c")),
            SchemaDifference::created_by(
                Change::DropIndex {
                    table: "user".into(),
                    index: index_on("ix_user_api_token", "api_token", true),
                },
                Some("3e5106ee570c".into()),
            ),
        ]);
        failed("walk down: downgrade d1f2e3c4b5a6 → c682ef478e45", d)
    };
    let unrelated = failed(
        "walk down: downgrade c682ef478e45 → 3e5106ee570c",
        Defect::new(Kind::DowngradeFails, Some("c682ef478e45"), "x")
            .with_error(err(1091, "Can't DROP INDEX `ix_other`"), None),
    );
    let broken = failed(
        "walk down: downgrade 3e5106ee570c → 366e5694a9ad",
        Defect::new(
            Kind::DowngradeFails,
            Some("3e5106ee570c"),
            "downgrade of 3e5106ee570c failed",
        )
        .with_error(
            err(
                1091,
                "Can't DROP INDEX `ix_user_api_token`; check that it exists",
            ),
            Some(FailedStatement::sql("DROP INDEX ix_user_api_token ON user")),
        ),
    );
    // The round trip sees the same leftover without the walk's blame: one finding.
    let trip = failed(
        "round trip d1f2e3c4b5a6",
        Defect::new(
            Kind::DowngradeLeavesSchema,
            Some("d1f2e3c4b5a6"),
            "downgrade of d1f2e3c4b5a6 does not restore the schema of c682ef478e45",
        )
        .with_diff(vec![token_dropped(None)]),
    );
    let runs = vec![
        scenario("chain", vec![passed("walk up"), leaves, unrelated, broken]),
        scenario("round-trip", vec![trip]),
    ];
    let ids = [
        "366e5694a9ad",
        "3e5106ee570c",
        "c682ef478e45",
        "d1f2e3c4b5a6",
    ];
    let f = derive(&chain(&ids, vec![]), &scope(&ids), &runs);
    assert_eq!(f.len(), 3, "{f:#?}");
    let by_rev = |r: &str| {
        f.iter()
            .find(|x| x.defect.revision.as_deref() == Some(r))
            .unwrap()
    };
    let cause = by_rev("d1f2e3c4b5a6");
    assert_eq!(
        cause.defect.diff.len(),
        2,
        "the round trip's line is the walk's"
    );
    assert_eq!(cause.seen_in.len(), 2);
    assert_eq!(by_rev("3e5106ee570c").caused_by, vec![cause.id]);
    assert!(by_rev("c682ef478e45").caused_by.is_empty());
    assert!(cause.caused_by.is_empty());
}

#[test]
fn a_half_applied_failure_that_a_rerun_cannot_pass_is_its_own_linked_finding() {
    let d = Defect::new(
        Kind::DowngradeFails,
        Some("000002"),
        "downgrade of 000002 failed",
    )
    .with_error(
        err(1091, "Can't DROP COLUMN `code`"),
        Some(FailedStatement::sql("ALTER TABLE item DROP COLUMN code")),
    )
    .with_left_behind(Some(LeftBehind {
        statements_applied: 1,
        failed_statement: Some(2),
        version_table: "still at 000002".into(),
        changed: vec![SchemaDifference::of(Change::DropIndex {
            table: "item".into(),
            index: index_on("ix_item_kode", "code", false),
        })],
        retry: Retry::Fails {
            error: err(1091, "Can't DROP INDEX `ix_item_kode`"),
            statement: Some(FailedStatement::at("DROP INDEX ix_item_kode ON item", 1, 2)),
            message: String::new(),
        },
    }));
    let runs = vec![scenario("chain", vec![failed("walk down", d)])];
    let f = derive(
        &chain(&["000001", "000002"], vec![]),
        &scope(&["000002"]),
        &runs,
    );
    assert_eq!(f.len(), 2, "{f:#?}");
    let half = f
        .iter()
        .find(|x| x.defect.kind == Kind::HalfApplied)
        .unwrap();
    let fail = f
        .iter()
        .find(|x| x.defect.kind == Kind::DowngradeFails)
        .unwrap();
    assert_eq!(half.caused_by, vec![fail.id]);
    assert!(half
        .defect
        .summary
        .to_string()
        .starts_with("1 statement(s) of 000002 stay applied after statement 2 failed"));
    assert!(
        half.defect
            .summary
            .to_string()
            .ends_with("re-running fails with 1091 Can't DROP INDEX `ix_item_kode`"),
        "{}",
        half.defect.summary
    );
    // The re-run's error goes with the re-run's statement, not the first run's.
    assert_eq!(half.defect.error.as_ref().unwrap().code, 1091);
    assert_eq!(
        half.defect.statement,
        Some(FailedStatement::sql("DROP INDEX ix_item_kode ON item"))
    );
}

#[test]
fn a_failed_step_without_typed_defects_is_classified_by_its_action_and_check() {
    let mut probe = StepResult::new(
        StepAction::Probes,
        "application queries expecting error:1054",
    )
    .fail("user: expected error 1054, it succeeded");
    probe.check = Some(StrictnessKey::ReproduceError);
    let runs = vec![
        scenario("reproduce-error", vec![probe]),
        ScenarioResult {
            status: Status::Error,
            reason: Some("internal error (panic): boom".into()),
            ..ScenarioResult::skipped("upgrade", "upgrade", "")
        },
    ];
    let f = derive(&chain(&["1"], vec![]), &scope(&["1"]), &runs);
    let kinds: Vec<Kind> = f.iter().map(|x| x.defect.kind).collect();
    assert!(kinds.contains(&Kind::ErrorNotReproduced), "{kinds:?}");
    assert!(kinds.contains(&Kind::ScenarioError), "{kinds:?}");
}

#[test]
fn alike_texts_fold_by_text_and_an_empty_file_explains_only_its_own_direction() {
    // Four scenarios that could not run: one panicked, three lost the server. Two findings.
    let errored = |id: &str, why: &str| ScenarioResult {
        status: Status::Error,
        reason: Some(why.into()),
        ..ScenarioResult::skipped(id, id, "")
    };
    let runs = vec![
        errored("a", "internal error (panic): boom"),
        errored("b", "the server stopped answering earlier in this run"),
        errored("c", "the server stopped answering earlier in this run"),
        errored("d", "the server stopped answering earlier in this run"),
    ];
    let f = derive(&chain(&["1"], vec![]), &scope(&["1"]), &runs);
    let counts: Vec<usize> = f.iter().map(|x| x.seen_in.len()).collect();
    assert_eq!(counts, [1, 3], "{f:#?}");

    // 000002 has an empty up file and an empty down file: two findings, and the upgrade's
    // 1065 is the empty upgrade's doing, the downgrade's the empty downgrade's.
    let graph = vec![
        GraphFinding {
            severity: GraphSeverity::Warning,
            kind: GraphKind::MissingDown {
                irreversible: false,
            },
            revision: Some("000002".into()),
        },
        GraphFinding {
            severity: GraphSeverity::Warning,
            kind: GraphKind::EmptyUpgrade,
            revision: Some("000002".into()),
        },
    ];
    let up = {
        let mut s = StepResult::new(StepAction::Upgrade, "walk up: upgrade → 000002").fail("1065");
        s.revision = Some("000002".into());
        s.defects.push(
            Defect::new(
                Kind::UpgradeFails,
                Some("000002"),
                "upgrade of 000002 failed",
            )
            .with_error(err(1065, "Query was empty"), None),
        );
        s
    };
    let down = failed(
        "walk down",
        Defect::new(
            Kind::DowngradeFails,
            Some("000002"),
            "downgrade of 000002 failed",
        )
        .with_error(err(1065, "Query was empty"), None),
    );
    let runs = vec![scenario("chain", vec![up, down])];
    let f = derive(
        &chain(&["000001", "000002"], graph),
        &scope(&["000002"]),
        &runs,
    );
    let id = |k: Kind| f.iter().find(|x| x.defect.kind == k).unwrap().id;
    let of = |k: Kind| f.iter().find(|x| x.defect.kind == k).unwrap();
    assert_eq!(
        of(Kind::UpgradeFails).caused_by,
        vec![id(Kind::EmptyUpgrade)]
    );
    assert_eq!(
        of(Kind::DowngradeFails).caused_by,
        vec![id(Kind::EmptyDowngrade)]
    );
}

fn code_ahead(column: &str, message: &str) -> Defect {
    use crate::compat::{Cause, Incompatibility, Op, Release};
    let i = Incompatibility {
        code: Release::Next,
        table: Some("user".into()),
        column: Some(column.into()),
        op: Op::Insert,
        error: err(1054, message).unwrap(),
        cause: Cause::Drift,
    };
    Defect::new(Kind::CodeAheadOfSchema, None, i.to_string())
        .with_error(
            Some(i.error.clone()),
            Some(FailedStatement::sql("INSERT INTO user …")),
        )
        .with_compat(i)
}

#[test]
fn a_blocked_deploy_and_the_compat_check_on_the_same_column_are_one_finding() {
    let deploy = Defect::new(
        Kind::DeployBlocked,
        None,
        "app.py:51 queries `user.api_token`",
    )
    .with_error(
        err(1054, "Unknown column 'user.api_token' in 'SELECT'"),
        None,
    );
    let scenarios = vec![
        scenario("deploy", vec![failed("deploy", deploy)]),
        scenario(
            "compat",
            vec![
                failed(
                    "new release's statements",
                    code_ahead("api_token", "Unknown column 'api_token' in 'INSERT INTO'"),
                ),
                failed(
                    "new release's statements",
                    code_ahead("nickname", "Unknown column 'nickname' in 'INSERT INTO'"),
                ),
            ],
        ),
    ];
    let f = derive(&chain(&["000001"], vec![]), &scope(&[]), &scenarios);
    assert_eq!(f.len(), 2, "{f:#?}");
    let blocked = f
        .iter()
        .find(|x| x.defect.kind == Kind::DeployBlocked)
        .unwrap();
    assert_eq!(blocked.scenarios(), ["deploy", "compat"]);
    assert_eq!(
        blocked
            .defect
            .compat
            .as_ref()
            .and_then(|c| c.column.as_deref()),
        Some("api_token")
    );
    // Another column the deploy never reached stays a finding of its own, told apart by
    // its column though kind, revision and code are alike.
    let other = f
        .iter()
        .find(|x| x.defect.kind == Kind::CodeAheadOfSchema)
        .unwrap();
    assert_eq!(
        other
            .defect
            .compat
            .as_ref()
            .and_then(|c| c.column.as_deref()),
        Some("nickname")
    );
}

/// The `chain` scenario's graph checks as `walk::chain_checks` reports them: each warning
/// of the graph repeated as the step's warning, then the tool's heads it could not ask for.
fn graph_checks(graph: &[GraphFinding]) -> ScenarioResult {
    let mut st = StepResult::new(StepAction::ChainChecks, crate::said::Walk::ChecksTitle);
    for g in graph {
        st = st.warn(WarningKind::Chain, g.clone());
    }
    st = st.warn(
        WarningKind::Chain,
        crate::said::Walk::ToolHeadsUnknown(Quoted::new("ModuleNotFoundError: flask")),
    );
    scenario("chain", vec![st])
}

#[test]
fn a_graph_warning_the_walk_repeats_is_one_finding_also_when_read_back_from_report_json() {
    let graph = vec![
        GraphFinding {
            severity: GraphSeverity::Warning,
            kind: GraphKind::IrreversibleDowngrade,
            revision: Some("000001".into()),
        },
        // About no revision: only the skip keeps it from gaining the walk as a sighting.
        GraphFinding {
            severity: GraphSeverity::Warning,
            kind: GraphKind::OrphanFile {
                file: "migrations/notes.txt".into(),
            },
            revision: None,
        },
    ];
    let view = chain(&["000001", "000002"], graph.clone());
    let runs = vec![graph_checks(&graph)];
    let live = derive(&view, &scope(&["000002"]), &runs);
    let seen: Vec<(Kind, Vec<Place>)> = live
        .iter()
        .map(|f| {
            let places = f.seen_in.iter().map(|s| s.scenario.clone()).collect();
            (f.defect.kind, places)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Kind::Graph, vec![Place::GraphLoad]),
            (Kind::Graph, vec![Place::Scenario("chain".into())]),
            (Kind::EmptyDowngrade, vec![Place::GraphLoad]),
        ],
        "{live:#?}"
    );

    // report.json keeps the graph's sentences (and reads back the data), the walk's
    // warnings only as sentences: the same findings are derived from it (`merge`).
    let json = serde_json::to_string(&view).unwrap();
    assert!(
        json.contains(
            r#""revision":"000001","message":"000001 has an empty downgrade: rolling it back changes nothing""#
        ),
        "{json}"
    );
    let view_back: ChainView = serde_json::from_str(&json).unwrap();
    assert_eq!(view_back.findings, graph);
    let runs_back: Vec<ScenarioResult> =
        serde_json::from_str(&serde_json::to_string(&runs).unwrap()).unwrap();
    assert!(matches!(
        runs_back[0].steps[0].warnings[0].message,
        Said::Recorded(_)
    ));
    assert_eq!(derive(&view_back, &scope(&["000002"]), &runs_back), live);
}

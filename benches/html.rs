//! `html_fragment!` against maud's own `html!` (the baseline), in one run: rendering a 100-row
//! table with escaped text, attributes, a toggled class and a loop. Both expand to maud's
//! runtime, so the target is a ratio of at least 0.95.
//! Run: `cargo bench --bench html`.
use criterion::{black_box, criterion_main, Criterion};
use oxtor::html::HtmlFragment;
use oxtor::html_fragment;

/// One row of the table.
struct Row {
    id: u32,
    name: String,
    email: String,
    score: f64,
    active: bool,
}

fn rows() -> Vec<Row> {
    (0..100)
        .map(|i| Row {
            id: i,
            name: format!("Reader <{i}> & friends"),
            email: format!("reader{i}@example.com"),
            score: f64::from(i) * 1.5,
            active: i % 3 == 0,
        })
        .collect()
}

fn with_oxtor(rows: &[Row]) -> HtmlFragment {
    html_fragment! {
        table.readers #readers {
            thead { tr { th { "Id" } th { "Name" } th { "Email" } th { "Score" } } }
            tbody {
                @for r in rows {
                    tr.row.active[r.active] data-id=(r.id) {
                        td { (r.id) }
                        td { (r.name) }
                        td { a href={ "mailto:" (r.email) } { (r.email) } }
                        td.score { (r.score) }
                    }
                }
            }
        }
    }
}

fn with_maud(rows: &[Row]) -> maud::Markup {
    maud::html! {
        table.readers #readers {
            thead { tr { th { "Id" } th { "Name" } th { "Email" } th { "Score" } } }
            tbody {
                @for r in rows {
                    tr.row.active[r.active] data-id=(r.id) {
                        td { (r.id) }
                        td { (r.name) }
                        td { a href={ "mailto:" (r.email) } { (r.email) } }
                        td.score { (r.score) }
                    }
                }
            }
        }
    }
}

fn table_100_rows(c: &mut Criterion) {
    let rows = rows();
    assert_eq!(
        with_oxtor(&rows).as_str(),
        with_maud(&rows).into_string(),
        "both render the same HTML"
    );
    let mut group = c.benchmark_group("table_100_rows");
    group.bench_function("maud_html", |b| b.iter(|| with_maud(black_box(&rows))));
    group.bench_function("oxtor_html_fragment", |b| {
        b.iter(|| with_oxtor(black_box(&rows)))
    });
    group.finish();
}

/// Criterion's group and entry point.
mod entry {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::table_100_rows);
}
criterion_main!(entry::benches);

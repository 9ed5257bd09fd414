//! Reading and filtering one large record (an event whose `newContent` holds a whole file) of S
//! and 4S bytes, in each layout, through `RecordReader` and `Matcher::matches_json`: the time per
//! byte should not grow with the record (see BENCHMARKS.md, "Record size"). The linearity itself
//! is tested without timing in `src/stream.rs` (`work_is_linear_in_the_size_of_a_record`).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fimql::stream::{Layout, RecordReader};
use fimql::{Options, Scope, compile};

/// An event whose `newContent` is about `size` bytes of a text file (with quotes and
/// backslashes, escaped), between two small events, laid out in `layout`.
fn input(size: usize, layout: Layout) -> Vec<u8> {
    let line = r#"a line of a config file with \"quotes\" and \\ backslashes\n"#;
    let content = line.repeat(size / line.len() + 1);
    let event = |i: usize, content: &str| {
        serde_json::json!({
            "id": format!("e{i}"),
            "dateTime": "2024-05-01T10:00:00.000Z",
            "action": "Content",
            "data": {
                "id": format!("e{i}"), "name": "app.conf", "action": "Content", "type": "File",
                "fullPath": "/etc/app/app.conf", "platform": "LINUX",
                "asset": {"agentId": "a-1", "name": "host-1"},
                "oldContent": "x",
                "newContent": serde_json::Value::String(content.to_string()),
            }
        })
    };
    let events = [event(0, "small"), event(1, &content), event(2, "small")];
    let mut out = Vec::new();
    match layout {
        Layout::Ndjson => {
            for e in &events {
                serde_json::to_writer(&mut out, e).unwrap();
                out.push(b'\n');
            }
        }
        Layout::Array => serde_json::to_writer_pretty(&mut out, &events[..]).unwrap(),
        _ => {
            for e in &events {
                serde_json::to_writer_pretty(&mut out, e).unwrap();
                out.push(b'\n');
            }
        }
    }
    out
}

fn record_size(c: &mut Criterion) {
    let f = compile(
        r#"action:Content AND file.name:"app.conf""#,
        &Options::new(Scope::Events),
    )
    .unwrap();
    let mut m = f.matcher();
    const S: usize = 4 << 20;
    for layout in [Layout::Ndjson, Layout::Array, Layout::Concatenated] {
        let mut g = c.benchmark_group(format!("record_size/{layout:?}"));
        g.sample_size(10);
        for size in [S, 4 * S] {
            let data = input(size, layout);
            g.throughput(Throughput::Bytes(data.len() as u64));
            g.bench_function(format!("{}MiB", size >> 20), |b| {
                b.iter(|| {
                    let mut reader = RecordReader::new(black_box(&data[..]));
                    let mut hits = 0usize;
                    while let Some(batch) = reader.next_batch().unwrap() {
                        for item in &batch.items {
                            if let Some(r) = batch.record(item) {
                                hits += usize::from(m.matches_json(r).unwrap());
                            }
                        }
                        reader.recycle(batch.bytes);
                    }
                    assert_eq!(hits, 3);
                    hits
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, record_size);
criterion_main!(benches);

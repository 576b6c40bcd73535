//! W1's loop under DHAT's heap profiler (`dhat::Alloc` as the global
//! allocator, a profiler running), over a tenth of W1's boxes: at about 150
//! times the system allocator's time, the whole of W1 would take minutes per
//! sample. `benches/sites.sh` compares it per box with the system allocator
//! and with allocguard's sites.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

// Shares W1 with the other overhead benches; the rest is theirs.
#[allow(dead_code)]
mod workloads;
use workloads::{w1_boxes_n, workload_group, W1_BOXES};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn bench(c: &mut Criterion) {
    let file =
        std::env::temp_dir().join(format!("allocguard-bench-dhat-{}.json", std::process::id()));
    let boxes = W1_BOXES / 10;
    let mut g = workload_group(c, "sites");
    g.throughput(Throughput::Elements(boxes));
    g.bench_function(BenchmarkId::new("W1_box32_x1M", "dhat"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // Its summary on stderr at each drop is DHAT's own.
                let profiler = dhat::Profiler::builder().file_name(&file).build();
                let t = Instant::now();
                w1_boxes_n(boxes);
                total += t.elapsed();
                drop(profiler);
            }
            total
        })
    });
    g.finish();
    let _ = std::fs::remove_file(&file);
}

criterion_group!(benches, bench);
criterion_main!(benches);

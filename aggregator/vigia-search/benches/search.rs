//! Builds the index over 100,000 synthetic Brazilian subscribers (deterministic) and times
//! query mixes on one thread: p50, p99 and worst per mix, plus build time and memory.
//! `cargo bench -p vigia-search --bench search [-- <mix name filter> [runs]]`.

use std::hint::black_box;
use std::time::Instant;

use vigia_search::{Field, Index, SearchDoc};

const SUBSCRIBERS: usize = 100_000;

const FIRST: &[&str] = &[
    "João",
    "José",
    "Maria",
    "Ana",
    "Antônio",
    "Francisco",
    "Carlos",
    "Paulo",
    "Pedro",
    "Lucas",
    "Luíz",
    "Marcos",
    "Luís",
    "Gabriel",
    "Rafael",
    "Márcia",
    "Fernanda",
    "Patrícia",
    "Aline",
    "Conceição",
    "Sebastião",
    "Letícia",
    "Júlia",
    "Beatriz",
    "Mateus",
    "Vitória",
    "Raimundo",
    "Joana",
    "Jorge",
    "Cecília",
    "Débora",
    "Cláudio",
    "Rogério",
    "Thaís",
    "Inês",
    "Álvaro",
];
const LAST: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Ribeiro",
    "Carvalho",
    "Araújo",
    "Conceição",
    "Melo",
    "Barbosa",
    "Magalhães",
    "Gonçalves",
    "Simões",
    "Brandão",
    "Falcão",
    "Assunção",
    "Lopes",
    "Monteiro",
    "Nogueira",
];
const STREETS: &[&str] = &[
    "Rua das Flores",
    "Avenida Brasil",
    "Rua São João",
    "Travessa da Paz",
    "Rua Sete de Setembro",
    "Avenida Getúlio Vargas",
    "Rua Tiradentes",
    "Rua Dom Pedro II",
    "Alameda dos Ipês",
    "Rua Padre Cícero",
    "Rua Marechal Deodoro",
    "Estrada do Açude",
];
const BAIRROS: &[&str] = &[
    "Centro",
    "Jardim América",
    "Vila Nova",
    "Boa Vista",
    "São José",
    "Santa Luzia",
    "Aeroporto",
    "Conjunto Esperança",
    "Alto da Boa Vista",
    "Piçarreira",
];
const CITIES: &[&str] = &[
    "Teresina",
    "Picos",
    "Parnaíba",
    "Floriano",
    "Timon",
    "Caxias",
];

/// SplitMix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

fn ascii_lower(s: &str) -> String {
    vigia_search::normalise(s).replace(' ', "")
}

fn cpf(rng: &mut Rng) -> String {
    let d: Vec<u64> = (0..11).map(|_| rng.next() % 10).collect();
    format!(
        "{}{}{}.{}{}{}.{}{}{}-{}{}",
        d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10]
    )
}

fn subscriber(i: usize, rng: &mut Rng) -> SearchDoc {
    let first = rng.pick(FIRST);
    let middle = rng.pick(LAST);
    let last = rng.pick(LAST);
    let name = if rng.below(3) == 0 {
        format!("{first} {middle} da {last}")
    } else {
        format!("{first} {middle} {last}")
    };
    // Unique: `joao.silva123`.
    let login = format!("{}.{}{i}", ascii_lower(first), ascii_lower(last));
    let address = format!(
        "{}, {} - {}, {}",
        rng.pick(STREETS),
        1 + rng.below(3000),
        rng.pick(BAIRROS),
        rng.pick(CITIES)
    );
    let serial = format!("HWTC{:08X}", rng.next() as u32);
    let m = rng.next();
    let mac = format!(
        "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
        0x48,
        0x8f,
        (m >> 8) as u8,
        (m >> 16) as u8,
        (m >> 24) as u8,
        (m >> 32) as u8
    );
    let ip = format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256);
    let mut fields = vec![
        (Field::Login, login),
        (Field::Name, name),
        (Field::Address, address),
        (Field::Document, cpf(rng)),
        (Field::OnuSerial, serial),
        (Field::Mac, mac),
        (Field::Ip, ip),
    ];
    if i.is_multiple_of(10) {
        // Some customers have a second MAC (a router behind the ONU).
        fields.push((
            Field::Mac,
            format!("AA-BB-CC-{:06X}", rng.next() as u32 & 0xFF_FFFF),
        ));
    }
    SearchDoc {
        id: fields[0].1.clone(),
        fields,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let mut rng = Rng(0x5EED);
    let docs: Vec<SearchDoc> = (0..SUBSCRIBERS).map(|i| subscriber(i, &mut rng)).collect();
    let sample = docs[4242].clone();
    let sample_ip = sample.fields[6].1.clone();

    let mut builds: Vec<f64> = Vec::new();
    let mut index = Index::default();
    for _ in 0..5 {
        let input = docs.clone();
        let start = Instant::now();
        let built = Index::build(input).expect("index builds");
        builds.push(start.elapsed().as_secs_f64() * 1000.0);
        // Dropping the previous index is not part of the build.
        index = built;
    }
    builds.sort_by(f64::total_cmp);
    println!(
        "build: {} docs, best {:.0} ms, median {:.0} ms, worst {:.0} ms, memory {:.1} MiB",
        index.len(),
        builds[0],
        percentile(&builds, 0.5),
        builds[builds.len() - 1],
        index.memory_bytes() as f64 / 1_048_576.0
    );

    let name = vigia_search::normalise(&sample.fields[1].1);
    let serial_fragment = sample.fields[4].1[4..10].to_lowercase();
    let mac_fragment = sample.fields[5].1[6..14].to_string();
    let ip_prefix = sample_ip[..sample_ip.rfind('.').unwrap_or(sample_ip.len())].to_string();
    let mixes: Vec<(&str, Vec<String>)> = vec![
        (
            "2-char",
            vec!["jo".into(), "ma".into(), "de".into(), "10".into()],
        ),
        ("2-char jo", vec!["jo".into()]),
        ("2-char ma", vec!["ma".into()]),
        ("2-char de", vec!["de".into()]),
        ("2-char 10", vec!["10".into()]),
        ("common name", vec!["silva".into(), "SANTOS".into()]),
        ("accent-free full name", vec![name]),
        ("login exact", vec![sample.id.clone()]),
        ("serial fragment", vec![serial_fragment]),
        ("mac fragment", vec![mac_fragment, "48:8f".into()]),
        ("ip prefix", vec![ip_prefix, "10.0.1".into()]),
        (
            "cpf digits",
            vec![sample.fields[3].1.replace(['.', '-'], "")],
        ),
        ("two terms", vec!["maria centro".into(), "jo si".into()]),
        ("no match", vec!["zzyzx".into(), "qq".into()]),
    ];
    println!("per query (first page of 20), 100 runs of each query of the mix, one thread:");
    println!(
        "{:<22} {:>7} {:>8} {:>8} {:>8}",
        "mix", "total", "p50 ms", "p99 ms", "max ms"
    );
    // `cargo bench` passes `--bench`; anything else filters the mixes (for profiling one).
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let filter = args.first().cloned().unwrap_or_default();
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(100);
    for (label, queries) in mixes.iter().filter(|(l, _)| l.contains(filter.as_str())) {
        let mut wall = Vec::new();
        let mut total = 0;
        for _ in 0..runs {
            for q in queries {
                let start = Instant::now();
                let r = black_box(index.search(q, 0, 20)).expect("valid query");
                wall.push(start.elapsed().as_secs_f64() * 1000.0);
                total = total.max(r.total);
            }
        }
        wall.sort_by(f64::total_cmp);
        println!(
            "{label:<22} {total:>7} {:>8.3} {:>8.3} {:>8.3}",
            percentile(&wall, 0.5),
            percentile(&wall, 0.99),
            wall[wall.len() - 1]
        );
    }
    let r = index.search("jo", 0, 3).expect("valid query");
    println!("\"jo\" top 3: {:?}", r.hits);
    let r = index.search("joao silva", 0, 3).expect("valid query");
    println!("\"joao silva\" top 3: {:?}", r.hits);
}

//! [`MemoryDiagnosis`]: a [`DiagnosisModel`] over fixed facts, judged by the real triage, and a
//! plain substring search over a few subscribers (the index itself is `vigia-search`'s).

use async_trait::async_trait;
use vigia_api::{
    ApiError, Diagnosis, DiagnosisModel, SearchField, SearchHit, SearchPage, SearchQuery, Timestamp,
};
use vigia_triage::{
    Authority, Facts, Onu, OnuStatus, PonNeighbours, Session, Source, TriageConfig, triage,
};

/// The subscriber with facts: a fresh LOS on its ONU, neighbours fine.
pub const LOS_LOGIN: &str = "joao.silva";

pub struct MemoryDiagnosis {
    people: Vec<(&'static str, &'static str)>,
}

impl Default for MemoryDiagnosis {
    fn default() -> Self {
        Self {
            people: vec![
                (LOS_LOGIN, "João da Silva"),
                ("maria.souza", "Maria Souza"),
                ("joana.lima", "Joana Lima"),
            ],
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn los_facts(now_ms: u64) -> Facts {
    let source = |name: &str| Source {
        name: name.to_owned(),
        authority: Authority::Network,
        observed_ms: now_ms - 30_000,
    };
    Facts {
        login: LOS_LOGIN.to_owned(),
        now_ms,
        customer: None,
        session: Some(Session {
            online: false,
            since_ms: None,
            address: None,
            caller_id: None,
            concentrator: Some("bras-1".to_owned()),
            last_disconnect_reason: Some("peer-not-responding".to_owned()),
            recent_disconnects: 1,
            source: source("plugin:mikrotik@pop-1"),
        }),
        crm_session: None,
        onu: Some(Onu {
            serial: "HWTC12345678".to_owned(),
            status: OnuStatus::Los,
            status_since_ms: Some(now_ms - 600_000),
            rx_dbm: None,
            tx_dbm: None,
            rx_median_dbm: Some(-20.0),
            last_down_cause: Some("LOS".to_owned()),
            last_down_ms: Some(now_ms - 600_000),
            olt: Some("olt-1".to_owned()),
            board: Some(0),
            port: Some(3),
            pon: Some("olt-1/0/3".to_owned()),
            splitter: None,
            model: None,
            source: source("plugin:smartolt@pop-1"),
        }),
        pon_neighbours: Some(PonNeighbours {
            total: 20,
            down: 0,
            rx_dropped: 0,
            rx_known: 20,
        }),
        radio: None,
        cpe: None,
        upstream: Vec::new(),
        outages: Vec::new(),
        live: Vec::new(),
    }
}

#[async_trait]
impl DiagnosisModel for MemoryDiagnosis {
    async fn diagnosis(&self, login: &str, live: bool) -> Result<Option<Diagnosis>, ApiError> {
        if login != LOS_LOGIN {
            return Ok(None);
        }
        let now = now_ms();
        let facts = los_facts(now);
        Ok(Some(Diagnosis {
            login: login.to_owned(),
            generated_at: Timestamp::from_unix_ms(now),
            live,
            verdict: triage(&facts, &TriageConfig::default()),
            facts,
        }))
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ApiError> {
        let text = query.text.to_lowercase();
        let hits: Vec<SearchHit> = self
            .people
            .iter()
            .filter(|(login, _)| login.contains(&text))
            .map(|(login, name)| SearchHit {
                login: (*login).to_owned(),
                name: Some((*name).to_owned()),
                address: None,
                state: "up".to_owned(),
                matched_field: SearchField::Login,
                matched_value: (*login).to_owned(),
                score: 1,
            })
            .collect();
        let total = hits.len() as u64;
        let start = (query.offset as usize).min(hits.len());
        let end = (start + query.limit as usize).min(hits.len());
        Ok(SearchPage {
            total,
            items: hits[start..end].to_vec(),
            next_cursor: (end < hits.len()).then(|| end.to_string()),
        })
    }
}

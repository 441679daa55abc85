//! Generated people: names (Brazilian and Argentine, with accents, so search is tested on real
//! spellings), PPPoE logins made from them, CPF document numbers with valid check digits,
//! street addresses and phone numbers.

use crate::rng::Rng;

const FIRST: &[&str] = &[
    "João",
    "José",
    "Maria",
    "Ana",
    "Antônio",
    "Francisco",
    "Luís",
    "Luiz",
    "Paulo",
    "Carlos",
    "Márcia",
    "Sebastião",
    "Conceição",
    "Fátima",
    "Raimundo",
    "Lúcia",
    "Inês",
    "Vitória",
    "Júlia",
    "Beatriz",
    "Gustavo",
    "Rafael",
    "Débora",
    "Cláudio",
    "Sérgio",
    "Mônica",
    "Patrícia",
    "Fernanda",
    "Rodrigo",
    "Juan",
    "Martín",
    "Sofía",
    "Valentina",
    "Matías",
    "Agustín",
    "Lucía",
    "Camila",
    "Nicolás",
    "Tomás",
    "Ramón",
];

const LAST: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Pereira",
    "Lima",
    "Gonçalves",
    "Araújo",
    "Ribeiro",
    "Almeida",
    "Conceição",
    "Magalhães",
    "Brandão",
    "Simões",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Pérez",
    "Gómez",
    "Sánchez",
    "Romero",
    "Díaz",
    "Álvarez",
    "Muñoz",
];

const STREETS: &[&str] = &[
    "Rua das Flores",
    "Av. Brasil",
    "Rua São João",
    "Travessa Boa Vista",
    "Rua Sete de Setembro",
    "Av. Getúlio Vargas",
    "Rua Tiradentes",
    "Av. España",
    "Calle San Martín",
    "Rua Bela Vista",
];

const DISTRICTS: &[&str] = &[
    "Centro",
    "Jardim América",
    "Vila Nova",
    "São Cristóvão",
    "Santa Luzia",
    "Bairro Alto",
];

/// One generated person.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub name: String,
    pub document: String,
    pub address: String,
    pub district: String,
    pub phone: String,
}

pub(crate) fn person(rng: &mut Rng) -> Person {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let middle = rng.pick(LAST);
    let name = if middle == last {
        format!("{first} {last}")
    } else {
        format!("{first} {middle} {last}")
    };
    let street = rng.pick(STREETS);
    let number = 10 + rng.below(1990);
    Person {
        name,
        document: cpf(rng),
        address: format!("{street}, {number}"),
        district: (*rng.pick(DISTRICTS)).to_owned(),
        phone: format!("+55 49 9{:04}-{:04}", rng.below(10_000), rng.below(10_000)),
    }
}

/// A PPPoE login from a name: lowercase ASCII `first.last`, deaccented (logins are ASCII).
pub(crate) fn login_for(name: &str) -> String {
    let words: Vec<String> = name.split_whitespace().map(ascii_lower).collect();
    match words.as_slice() {
        [] => "cliente".to_owned(),
        [only] => only.clone(),
        [first, .., last] => format!("{first}.{last}"),
    }
}

/// Lowercase with the accents of Portuguese and Spanish removed.
pub(crate) fn ascii_lower(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'ê' | 'è' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// A CPF (Brazilian person id) with valid check digits, formatted `000.000.000-00`.
fn cpf(rng: &mut Rng) -> String {
    let base: Vec<u32> = (0..9).map(|_| rng.below(10) as u32).collect();
    cpf_from(base)
}

fn cpf_from(mut digits: Vec<u32>) -> String {
    for len in [9usize, 10] {
        let sum: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, d)| d * (len as u32 + 1 - i as u32))
            .sum();
        let check = (sum * 10) % 11 % 10;
        digits.push(check);
    }
    let s: String = digits
        .iter()
        .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
        .collect();
    format!("{}.{}.{}-{}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_ascii_first_dot_last() {
        assert_eq!(login_for("João da Silva"), "joao.silva");
        assert_eq!(login_for("Sofía Muñoz"), "sofia.munoz");
        assert_eq!(login_for("Conceição"), "conceicao");
    }

    #[test]
    fn cpf_check_digits_are_valid() {
        assert_eq!(cpf_from(vec![5, 2, 9, 9, 8, 2, 2, 4, 7]), "529.982.247-25");
        assert_eq!(cpf_from(vec![1, 1, 1, 4, 4, 4, 7, 7, 7]), "111.444.777-35");
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let doc = cpf(&mut rng);
            let digits: Vec<u32> = doc.chars().filter_map(|c| c.to_digit(10)).collect();
            assert_eq!(digits.len(), 11);
            for len in [9usize, 10] {
                let sum: u32 = (0..len)
                    .map(|i| digits[i] * (len as u32 + 1 - i as u32))
                    .sum();
                assert_eq!((sum * 10) % 11 % 10, digits[len], "{doc}");
            }
        }
    }
}

//! The outbound network policy: which resolved addresses a function may reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// One entry of an explicit allow or deny list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// Addresses in this network.
    Net(IpNet),
    /// This host name (ASCII case-insensitive, trailing dot ignored).
    Host(String),
}

impl Rule {
    fn parse(entry: &str) -> Self {
        let e = entry.trim();
        if let Ok(net) = e.parse::<IpNet>() {
            return Self::Net(net);
        }
        if let Ok(ip) = e
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Self::Net(IpNet::from(ip));
        }
        Self::Host(normalize_host(e))
    }

    fn matches(&self, host: &str, ip: IpAddr) -> bool {
        match self {
            Self::Net(net) => {
                net.contains(&ip) || embedded_v4(ip).is_some_and(|v4| net.contains(&IpAddr::V4(v4)))
            }
            Self::Host(h) => *h == host,
        }
    }
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The class of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddrClass {
    /// `169.254.0.0/16`, `fe80::/10`: always denied.
    LinkLocal,
    /// `127.0.0.0/8`, `::1`, `0.0.0.0/8`, `::`.
    Loopback,
    /// `10/8`, `172.16/12`, `192.168/16`, `100.64/10`, `fc00::/7`.
    Private,
    /// Multicast, `240.0.0.0/4`, broadcast: always denied.
    Reserved,
    /// Everything else.
    Public,
}

/// The IPv4 address embedded in an IPv4-mapped/compatible, NAT64 or 6to4 IPv6 address.
fn embedded_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    let s = v6.segments();
    let o = v6.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    // ::ffff:a.b.c.d (mapped)
    if s[..5] == [0; 5] && s[5] == 0xffff {
        return Some(tail);
    }
    // ::a.b.c.d (compatible; not :: and ::1)
    if s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1) {
        return Some(tail);
    }
    // 64:ff9b::/96 (NAT64)
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(tail);
    }
    // 2002:AABB:CCDD::/16 (6to4)
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

fn classify_v4(ip: Ipv4Addr) -> AddrClass {
    let [a, b, ..] = ip.octets();
    if a == 169 && b == 254 {
        AddrClass::LinkLocal
    } else if a == 127 || a == 0 {
        AddrClass::Loopback
    } else if a == 10
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 100 && (64..128).contains(&b))
    {
        AddrClass::Private
    } else if a >= 224 {
        // 224/4 multicast, 240/4 reserved, 255.255.255.255 broadcast.
        AddrClass::Reserved
    } else {
        AddrClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddrClass {
    let s0 = ip.segments()[0];
    if ip.is_loopback() || ip.is_unspecified() {
        AddrClass::Loopback
    } else if s0 & 0xffc0 == 0xfe80 {
        AddrClass::LinkLocal
    } else if s0 & 0xfe00 == 0xfc00 {
        AddrClass::Private
    } else if s0 & 0xff00 == 0xff00 {
        AddrClass::Reserved
    } else {
        AddrClass::Public
    }
}

/// Classifies an address, IPv6 forms embedding an IPv4 address by that address.
pub(crate) fn classify(ip: IpAddr) -> AddrClass {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Which destinations outbound calls may reach.
///
/// By default link-local/metadata and reserved addresses are denied, loopback, private and
/// public addresses allowed. [`deny_private_networks`](Self::deny_private_networks) also
/// denies loopback and private ranges. Explicit lists (CIDRs, IP addresses or host names)
/// override the classes; the deny list is consulted first.
///
/// ```
/// use lunar_runtime_v8::NetworkPolicy;
///
/// let policy = NetworkPolicy::default()
///     .deny_private_networks(true)
///     .allow("10.1.0.0/16")
///     .deny("internal.example.com");
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkPolicy {
    deny_private: bool,
    allow: Vec<Rule>,
    deny: Vec<Rule>,
}

impl NetworkPolicy {
    /// Returns this policy with loopback and private ranges denied (`true`) or allowed.
    #[must_use]
    pub fn deny_private_networks(mut self, deny: bool) -> Self {
        self.deny_private = deny;
        self
    }

    /// Returns this policy with `entry` (a CIDR, an IP address or a host name) allowed.
    #[must_use]
    pub fn allow(mut self, entry: &str) -> Self {
        self.allow.push(Rule::parse(entry));
        self
    }

    /// Returns this policy with `entry` (a CIDR, an IP address or a host name) denied.
    #[must_use]
    pub fn deny(mut self, entry: &str) -> Self {
        self.deny.push(Rule::parse(entry));
        self
    }

    /// Whether `host` (as written in the URL) may be reached at `ip`.
    #[must_use]
    pub fn allows(&self, host: &str, ip: IpAddr) -> bool {
        let host = normalize_host(host.trim_start_matches('[').trim_end_matches(']'));
        if self.deny.iter().any(|r| r.matches(&host, ip)) {
            return false;
        }
        if self.allow.iter().any(|r| r.matches(&host, ip)) {
            return true;
        }
        match classify(ip) {
            AddrClass::LinkLocal | AddrClass::Reserved => false,
            AddrClass::Loopback | AddrClass::Private => !self.deny_private,
            AddrClass::Public => true,
        }
    }

    /// `Err(message)` when `host` may not be reached at `ip`.
    pub(crate) fn check(&self, host: &str, ip: IpAddr) -> Result<(), PolicyDenied> {
        if self.allows(host, ip) {
            Ok(())
        } else {
            Err(PolicyDenied(format!(
                "{host} resolves to {ip}, which the network policy does not allow"
            )))
        }
    }
}

/// A destination the policy refused; its text is the API's detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyDenied(pub(crate) String);

impl std::fmt::Display for PolicyDenied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyDenied {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classes() {
        for (a, c) in [
            ("169.254.169.254", AddrClass::LinkLocal),
            ("fe80::1", AddrClass::LinkLocal),
            ("127.0.0.1", AddrClass::Loopback),
            ("0.0.0.0", AddrClass::Loopback),
            ("::1", AddrClass::Loopback),
            ("::", AddrClass::Loopback),
            ("10.1.2.3", AddrClass::Private),
            ("172.16.0.1", AddrClass::Private),
            ("172.32.0.1", AddrClass::Public),
            ("192.168.1.1", AddrClass::Private),
            ("100.64.0.1", AddrClass::Private),
            ("fd00::1", AddrClass::Private),
            ("224.0.0.1", AddrClass::Reserved),
            ("240.0.0.1", AddrClass::Reserved),
            ("255.255.255.255", AddrClass::Reserved),
            ("ff02::1", AddrClass::Reserved),
            ("8.8.8.8", AddrClass::Public),
            ("2606:4700::1111", AddrClass::Public),
            ("::ffff:169.254.169.254", AddrClass::LinkLocal),
            ("::ffff:127.0.0.1", AddrClass::Loopback),
            ("::10.0.0.1", AddrClass::Private),
            ("64:ff9b::a9fe:a9fe", AddrClass::LinkLocal),
            ("2002:a9fe:a9fe::1", AddrClass::LinkLocal),
            ("2002:0808:0808::1", AddrClass::Public),
        ] {
            assert_eq!(classify(ip(a)), c, "{a}");
        }
    }

    #[test]
    fn lists_override_classes() {
        let p = NetworkPolicy::default();
        assert!(p.allows("localhost", ip("127.0.0.1")));
        assert!(!p.allows("x", ip("169.254.169.254")));
        let p = NetworkPolicy::default().deny_private_networks(true);
        assert!(!p.allows("localhost", ip("127.0.0.1")));
        assert!(!p.allows("x", ip("::ffff:10.0.0.1")));
        let p = p.allow("127.0.0.0/8").allow("metadata.internal");
        assert!(p.allows("localhost", ip("127.0.0.1")));
        assert!(p.allows("Metadata.Internal.", ip("169.254.169.254")));
        let p = NetworkPolicy::default()
            .deny("8.8.8.0/24")
            .deny("evil.example");
        assert!(!p.allows("dns.google", ip("8.8.8.8")));
        assert!(!p.allows("evil.example", ip("1.1.1.1")));
        assert_eq!(
            NetworkPolicy::default()
                .check("h", ip("169.254.169.254"))
                .unwrap_err()
                .0,
            "h resolves to 169.254.169.254, which the network policy does not allow"
        );
    }
}

package discovery

// wellKnown guesses a TCP port's service from the IANA registration; a
// guess only (the port is open, nothing was asked of it).
var wellKnown = map[int]string{
	20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns", 67: "dhcp", 69: "tftp", 80: "http",
	88: "kerberos", 110: "pop3", 111: "rpcbind", 123: "ntp", 135: "msrpc", 137: "netbios-ns", 139: "netbios-ssn",
	143: "imap", 161: "snmp", 179: "bgp", 389: "ldap", 443: "https", 445: "smb", 465: "smtps", 500: "isakmp",
	514: "syslog", 515: "printer", 548: "afp", 554: "rtsp", 587: "submission", 631: "ipp", 636: "ldaps",
	873: "rsync", 902: "vmware-auth", 993: "imaps", 995: "pop3s", 1080: "socks", 1433: "mssql", 1521: "oracle",
	1723: "pptp", 1883: "mqtt", 2049: "nfs", 2375: "docker", 2376: "docker-tls", 3000: "http-alt", 3268: "ldap-gc",
	3306: "mysql", 3389: "rdp", 5000: "upnp", 5060: "sip", 5353: "mdns", 5432: "postgresql", 5671: "amqps",
	5672: "amqp", 5900: "vnc", 5985: "winrm", 5986: "winrm-https", 6379: "redis", 6443: "kubernetes",
	8000: "http-alt", 8006: "proxmox", 8080: "http-proxy", 8443: "https-alt", 8883: "mqtts", 9000: "http-alt",
	9090: "http-alt", 9100: "jetdirect", 9200: "elasticsearch", 10000: "webmin", 11211: "memcached",
	27017: "mongodb",
}

// ServiceGuess names the service usually on port ("" when unknown).
func ServiceGuess(port int) string { return wellKnown[port] }

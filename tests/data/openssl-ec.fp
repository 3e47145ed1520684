256 SHA256:UX+wcjeWAnTv+LKkCpfPNcBhn6/NxJo1lMbL5WMrY3Y openssl-ec@mktestdata (ECDSA)

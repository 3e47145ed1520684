import base64, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
blob = base64.b64decode(open(sys.argv[2]).read().split()[1])
st = lambda b: struct.pack(">I", len(b)) + b
s.sendall(st(b"\\x0d" + st(blob) + st(sys.argv[3].encode()) + struct.pack(">I", 0)))
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
print(s.recv(n, socket.MSG_WAITALL)[0])
PY'''
s=s.replace(old_py,new_py)
s=s.replace('''check "... no signed data in the journal" sh -c "! grep -q journal-data export.txt plain.txt"
finish''','''check "... no signed data in the journal" sh -c "! grep -q journal-data export.txt plain.txt"
check_eq "in the background: the signature was made" 14 "$(cat bg-sign.out)"
check_match "... the agent says where it listens, in the journal" \\
	"^listening on $(re "$(cat bg-sock.txt)")\\$" "$(cat bg-plain.txt)"
check_eq "... its audit entry has the structured fields (the signing handler's own pid)" 1 \\
	"$(grep -c "^SSH_TPM_KEY_FP=$(re "$fp")" bg-all.txt | awk '{print $1 - 1}')"
check_match "... and the result" "SSH_TPM_RESULT=ok" "$(cat bg-all.txt)"
check "... no signed data in the journal" sh -c "! grep -q background-data bg-all.txt bg-plain.txt"
finish''')
open(p,'w').write(s)
EOF
grep -n "^re()\|re() " tests/agent/audit.sh tests/lib/*.sh | head -3

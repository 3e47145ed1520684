#!/bin/sh
# SPDX-License-Identifier: MIT
# Destination constraints (ssh-add -h) as OpenSSH's regress/agent-restrict.sh
# tries them, re-told: five sshd hosts (d and e with host certificates) run
# as `sshd -i` behind ProxyCommand, keys added with and without -h, logins,
# forwarded listings, five-hop chains with ssh -A, user names, wildcards and
# a cycle.  Every case runs against OpenSSH's own ssh-agent and against
# ours, and must give the result it gives in OpenSSH's test with both.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/agent.sh"
AGENT="$BUILD_DIR/handler/ssh-tpm-agent"
W=$WORK
ME=$(id -un)
cd "$W" || exit 1

for h in a b c d e x ca; do
	ssh-keygen -q -t ed25519 -C host_$h -N '' -f "$W/host_$h"
	ssh-keygen -q -t ed25519 -C user_$h -N '' -f "$W/user_$h"
done
for h in d e; do
	ssh-keygen -q -s "$W/host_ca" -I host_$h -n host_$h -h "$W/host_$h.pub"
done

# sshd -i in a mount namespace of its own (its privilege separation
# directory on a private /run).
cat > "$W/sshd-proxy" <<EOF
#!/bin/sh
exec unshare --mount --propagation private sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -i -f "\$0"' "$W/sshd_\$1" 2>>"$W/sshd.log"
EOF
chmod +x "$W/sshd-proxy"
for h in a b c d e; do
	cat > "$W/sshd_host_$h" <<EOF
HostKey $W/host_$h
PidFile none
AuthorizedKeysFile $W/authorized_keys
StrictModes no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
ExposeAuthInfo yes
AllowAgentForwarding yes
LogLevel ERROR
EOF
done
for h in d e; do
	echo "HostCertificate $W/host_$h-cert.pub" >> "$W/sshd_host_$h"
done

common="IdentitiesOnly yes
ForwardAgent yes
ExitOnForwardFailure yes
UserKnownHostsFile $W/known_hosts
GlobalKnownHostsFile /dev/null
StrictHostKeyChecking yes
BatchMode yes
LogLevel ERROR
User $ME"
echo "$common" > "$W/ssh_proxy"
echo "$common" > "$W/ssh_proxy_noid"
for h in a b c d e; do
	printf 'Host host_%s\n\tHostname host_%s\n\tHostkeyAlias host_%s\n\tIdentityFile %s\n\tProxyCommand %s host_%s\n' \
		$h $h $h "$W/user_$h" "$W/sshd-proxy" $h >> "$W/ssh_proxy"
	printf 'Host host_%s\n\tHostname host_%s\n\tHostkeyAlias host_%s\n\tProxyCommand %s host_%s\n' \
		$h $h $h "$W/sshd-proxy" $h >> "$W/ssh_proxy_noid"
done
: > "$W/known_hosts"
for h in a b c x; do
	echo "host_$h $(cat "$W/host_$h.pub")" >> "$W/known_hosts"
done
echo "@cert-authority host_* $(cat "$W/host_ca.pub")" >> "$W/known_hosts"

reset_keys() { # authinfo|keylist
	case $1 in
	authinfo) cmd='cat $SSH_USER_AUTH' ;;
	keylist) cmd="/usr/bin/ssh-add -L | cut -d' ' -f-2 | sort" ;;
	esac
	: > "$W/authorized_keys"
	for h in e d c b a; do
		echo "restrict,agent-forwarding,command=\"$cmd\" $(cat "$W/user_$h.pub")" >> "$W/authorized_keys"
	done
}
expect_key() { # KEY FILE
	echo "publickey $(cut -d' ' -f-2 "$W/$1.pub")" > "$W/$2"
}
reset_expect_keys() {
	for u in a b c d e; do expect_key user_$u expect_$u; done
}

RESULTS=""
# record CASE met|unmet
record() {
	echo "$1|$2" >> "$RESULTS"
}
expect_succeed() { # ID CASE
	out=$(ssh -F "$W/ssh_proxy" host_$1 true 2>>"$W/ssh.err")
	if [ $? -eq 0 ] && [ "$out" = "$(cat "$W/expect_$1")" ]; then record "$2 host_$1" met; else record "$2 host_$1" unmet; fi
}
expect_succeed_key() { # ID KEY CASE
	out=$(ssh -F "$W/ssh_proxy_noid" -oIdentityFile="$W/$2" host_$1 true 2>>"$W/ssh.err")
	s=$?
	expect_key "$2" expect_key
	if [ $s -eq 0 ] && [ "$out" = "$(cat "$W/expect_key")" ]; then record "$3 host_$1" met; else record "$3 host_$1" unmet; fi
}
expect_fail() { # ID CASE
	if ssh -F "$W/ssh_proxy" host_$1 true >/dev/null 2>>"$W/ssh.err"; then record "$2 host_$1" unmet; else record "$2 host_$1" met; fi
}
expect_fail_key() { # ID KEY CASE
	if ssh -F "$W/ssh_proxy_noid" -oIdentityFile="$W/$2" host_$1 true >/dev/null 2>>"$W/ssh.err"; then
		record "$3 host_$1" unmet
	else
		record "$3 host_$1" met
	fi
}
hide_privatekeys() { for u in a b c d e x; do mv "$W/user_$u" "$W/user_x$u"; done; }
restore_privatekeys() { for u in a b c d e x; do mv "$W/user_x$u" "$W/user_$u"; done; }
clear_agent() { ssh-add -D >/dev/null 2>&1; }
add() { ssh-add -q "$@" 2>>"$W/ssh.err" || record "ssh-add $*" unmet; }

# The chain: each hop prints what it sees, then goes on to the next.
cat > "$W/command" <<EOF
#!/bin/sh
me="\$1" ; shift
next="\$1"
if test ! -z "\$me" ; then
	rm -f $W/done
	echo "HOSTNAME host_\$me"
	echo "AUTHINFO"
	cat \$SSH_USER_AUTH
fi
echo AGENT
/usr/bin/ssh-add -L | grep -E "^ssh" | cut -d" " -f-2 | sort
if test -z "\$next" ; then
	touch $W/done
	echo "FINISH"
	e=0
else
	echo NEXT
	/usr/bin/ssh -F $W/ssh_proxy_noid -oIdentityFile=$W/user_a host_\$next $W/command "\$@"
	e=\$?
fi
echo "COMPLETE \"\$me\""
if test ! -z "\$me" ; then
	if test ! -f $W/done ; then
		echo "DONE MARKER MISSING"
		test \$e -eq 0 && e=63
	fi
fi
exit \$e
EOF
chmod +x "$W/command"

multihop_expected() { # none|all|filtered [HOPS]
	keys=$1 hops=${2:-a b c d e}
	revhops=$(echo "$hops" | rev)
	lasthop=$(echo "$hops" | sed 's/.* //')
	: > "$W/expect_keys"
	for h in a b c d e; do cut -d" " -f-2 "$W/user_$h.pub" >> "$W/expect_keys"; done
	{
		echo AGENT
		[ "$keys" = none ] || sort "$W/expect_keys"
		echo NEXT
		for h in $hops; do
			echo "HOSTNAME host_$h"
			echo AUTHINFO
			echo "publickey $(cut -d' ' -f-2 "$W/user_a.pub")"
			echo AGENT
			[ "$keys" = all ] && sort "$W/expect_keys"
			if [ "$h" != "$lasthop" ]; then
				[ "$keys" = filtered ] && cut -d" " -f-2 "$W/user_a.pub"
				echo NEXT
			fi
		done
		echo FINISH
		for h in $revhops ""; do echo "COMPLETE \"$h\""; done
	} > "$W/expect_a"
}
multihop() { # CASE succeed|fail HOPS...
	c=$1 want=$2
	shift 2
	"$W/command" "" "$@" > "$W/ssh_output" 2>>"$W/ssh.err"
	s=$?
	if [ "$want" = succeed ]; then
		if [ $s -eq 0 ] && cmp -s "$W/ssh_output" "$W/expect_a"; then record "$c" met; else record "$c" unmet; fi
	elif [ $s -ne 0 ]; then
		record "$c" met
	else
		record "$c" unmet
	fi
}

# The cases of agent-restrict.sh that involve the agent, in its order.
run_cases() {
	reset_keys authinfo
	reset_expect_keys
	for u in a b c d e x; do add "$W/user_$u"; done
	hide_privatekeys
	for h in a b c d e; do
		expect_succeed $h "unrestricted"
		wrongkey=user_e
		[ $h = e ] && wrongkey=user_a
		expect_succeed_key $h $wrongkey "unrestricted, another key"
	done
	reset_keys keylist
	: > "$W/expect_list.pre"
	for u in a b c d e x; do cut -d" " -f-2 "$W/user_$u.pub" >> "$W/expect_list.pre"; done
	sort "$W/expect_list.pre" > "$W/expect_list"
	for h in a b c d e; do
		cp "$W/expect_list" "$W/expect_$h"
		expect_succeed $h "unrestricted keylist"
	done
	restore_privatekeys

	reset_keys authinfo
	reset_expect_keys
	for h in a b c d e; do add -h host_$h -H "$W/known_hosts" "$W/user_$h"; done
	add "$W/user_x"
	hide_privatekeys
	for h in a b c d e; do expect_succeed $h "basic restrict"; done
	for h in a b c d e; do
		wrongkey=user_e
		[ $h = e ] && wrongkey=user_a
		expect_fail_key $h $wrongkey "basic restrict, wrong key"
	done
	reset_keys keylist
	cut -d" " -f-2 "$W/user_x.pub" > "$W/expect_list"
	for h in a b c d e; do
		cp "$W/expect_list" "$W/expect_$h"
		expect_succeed $h "basic restrict keylist"
	done
	restore_privatekeys

	reset_keys authinfo
	reset_expect_keys
	for h in a b c d e; do add -h "$ME@host_$h" -H "$W/known_hosts" "$W/user_$h"; done
	hide_privatekeys
	for h in a b c d e; do expect_succeed $h "user name"; done
	restore_privatekeys
	for h in a b c d e; do add -h "*@host_$h" -H "$W/known_hosts" "$W/user_$h"; done
	hide_privatekeys
	for h in a b c d e; do expect_succeed $h "user name wildcard"; done
	restore_privatekeys
	for h in a b c d e; do add -h "--BADUSER@host_$h" -H "$W/known_hosts" "$W/user_$h"; done
	hide_privatekeys
	for h in a b c d e; do expect_fail $h "wrong user name"; done
	restore_privatekeys

	clear_agent
	add -h host_e -H "$W/known_hosts" "$W/user_d"
	hide_privatekeys
	expect_fail d "certificate principal"
	restore_privatekeys

	cp "$W/user_a.pub" "$W/authorized_keys"
	clear_agent
	add "$W/user_a" "$W/user_b" "$W/user_c" "$W/user_d" "$W/user_e"
	multihop_expected all
	multihop "multihop unrestricted" succeed a b c d e

	clear_agent
	multihop_expected filtered
	add -h host_a -h "host_a>host_b" -h "host_b>host_c" -h "host_c>host_d" -h "host_d>host_e" \
		-H "$W/known_hosts" "$W/user_a"
	add -h host_x -H "$W/known_hosts" "$W/user_b" "$W/user_c" "$W/user_d" "$W/user_e"
	hide_privatekeys
	multihop "multihop restricted" succeed a b c d e
	restore_privatekeys
	add -h host_a -h "host_a>$ME@host_b" -h "host_b>$ME@host_c" -h "host_c>$ME@host_d" \
		-h "host_d>$ME@host_e" -H "$W/known_hosts" "$W/user_a"
	hide_privatekeys
	multihop "multihop user name" succeed a b c d e
	restore_privatekeys
	add -h host_a -h "host_a>*@host_b" -h "host_b>*@host_c" -h "host_c>*@host_d" \
		-h "host_d>*@host_e" -H "$W/known_hosts" "$W/user_a"
	hide_privatekeys
	multihop "multihop user name wildcard" succeed a b c d e
	restore_privatekeys
	add -h host_a -h "host_a>*@host_b" -h "host_b>*@host_c" -h "host_c>--BADUSER@host_d" \
		-h "host_d>*@host_e" -H "$W/known_hosts" "$W/user_a"
	hide_privatekeys
	multihop "multihop wrong user name" fail a b c d e
	restore_privatekeys

	clear_agent
	add "$W/user_a" "$W/user_b" "$W/user_c" "$W/user_d" "$W/user_e"
	multihop_expected all "a b a a c d e"
	multihop "cycle unrestricted" succeed a b a a c d e
	clear_agent
	add -h host_x -H "$W/known_hosts" "$W/user_b" "$W/user_c" "$W/user_d" "$W/user_e"
	add -h host_a -h "host_a>host_b" -h "host_b>host_c" -h "host_c>host_d" -h "host_d>host_e" \
		-H "$W/known_hosts" "$W/user_a"
	multihop_expected filtered "a b a a c d e"
	hide_privatekeys
	multihop "cycle restricted, denied" fail a b a a c d e
	restore_privatekeys
	clear_agent
	add -h host_x -H "$W/known_hosts" "$W/user_b" "$W/user_c" "$W/user_d" "$W/user_e"
	add -h host_a -h "host_a>host_b" -h "host_b>host_c" -h "host_c>host_d" -h "host_d>host_e" \
		-h "host_b>host_a" -h "host_a>host_a" -h "host_a>host_c" -H "$W/known_hosts" "$W/user_a"
	multihop_expected filtered "a b a a c d e"
	hide_privatekeys
	multihop "cycle restricted, allowed" succeed a b a a c d e
	restore_privatekeys
}

# OpenSSH's agent.
export SSH_AUTH_SOCK="$W/openssh.sock"
ssh-agent -D -a "$SSH_AUTH_SOCK" > "$W/openssh-agent.log" 2>&1 &
OA_PID=$!
stop_openssh() { kill "$OA_PID" 2>/dev/null; wait "$OA_PID" 2>/dev/null; }
add_cleanup stop_openssh
wait_socket "$SSH_AUTH_SOCK" || exit 1
RESULTS="$W/result.openssh"
: > "$RESULTS"
run_cases
stop_openssh

# Ours: software keys only (an empty key dir), in a keyring of its own.
export SSH_TPM_AGENT_KEYRING="ta-test-$$-restrict"
TA_KEYRINGS=""
add_cleanup keyring_cleanup
mkdir -p "$W/keys"
export SSH_AUTH_SOCK="$W/ours.sock"
"$AGENT" -D -d -l "$SSH_AUTH_SOCK" --key-dir "$W/keys" > "$W/ours.log" 2>&1 &
TA_PID=$!
stop_ours() { kill "$TA_PID" 2>/dev/null; wait "$TA_PID" 2>/dev/null; }
add_cleanup stop_ours
wait_socket "$SSH_AUTH_SOCK" || exit 1
RESULTS="$W/result.ours"
: > "$RESULTS"
run_cases
stop_ours

n=$(grep -c . "$W/result.openssh")
check_eq "the same cases ran with both agents" "$n" "$(grep -c . "$W/result.ours")"
[ "$n" -ge 54 ] && ok "$n cases ran" || fail "cases ran" "only $n"
while IFS='|' read -r c res; do
	ours=$(awk -F'|' -v c="$c" '$1 == c { print $2; exit }' "$W/result.ours")
	if [ "$res" = met ] && [ "$ours" = met ]; then
		ok "$c: as in OpenSSH's test, with both agents"
	else
		fail "$c" "OpenSSH's agent: $res, ours: ${ours:-missing}"
	fi
done < "$W/result.openssh"
grep -q "session .* bound (forwarding)" "$W/ours.log" && ok "our agent recorded forwarding binds" ||
	fail "forwarding binds" "none in the log"
if [ "$FAILED" -gt 0 ]; then
	tail -20 "$W/ssh.err" "$W/sshd.log" "$W/ours.log" >&2
fi
finish

#!/bin/sh
# zkCli.sh session used for the Java* golden frames (through proxy.py on 12183).
(printf "addauth digest user:pass\ncreate /jg hello\nget -w /jg\n"; sleep 1; printf "set /jg world\n"; sleep 1; printf "create /jg/c1 x\nls -s /jg\nstat /jg/missing\naddWatch -m PERSISTENT_RECURSIVE /jg\nwhoami\ngetAcl /jg\ndelete /jg/nonexist\nsync /jg\n"; sleep 1; printf "quit\n") | /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:12183

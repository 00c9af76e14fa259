// Identity inside the sandbox: the caller's own uid and gid, mapped 1:1.
#pragma once

#include <sys/types.h>

#include "base/error.h"

namespace cordon::sandbox {

// Written by the supervisor (outside) for the child it cloned: setgroups is
// denied first, as the kernel requires before an unprivileged gid_map.
Status write_id_maps(pid_t child, uid_t uid, gid_t gid);

}  // namespace cordon::sandbox

#include "sandbox/spec.h"

namespace cordon::sandbox {

const char* mount_kind_name(MountKind kind) {
  switch (kind) {
    case MountKind::ReadOnly: return "read-only";
    case MountKind::ReadWrite: return "read-write";
    case MountKind::Protected: return "protected";
    case MountKind::Pin: return "pin";
    case MountKind::HideDir: return "hidden-dir";
    case MountKind::HideFile: return "hidden-file";
    case MountKind::Tmpfs: return "tmpfs";
  }
  return "?";
}

}  // namespace cordon::sandbox

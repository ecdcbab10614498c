/* vg_fs.h - small file-system helpers shared by the modules. */
#ifndef VG_FS_H
#define VG_FS_H

/* vg_mkdir_p creates path and its missing parents (mode 0755), like `mkdir -p`. 0 on success
 * (also when it exists), -1 with errno set otherwise (ENAMETOOLONG past 4095 bytes). */
int vg_mkdir_p(const char *path);

#endif

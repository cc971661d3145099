/* malloc_tune.h — process-wide allocator settings for capz-host; call once, first thing in main. */
#ifndef HOST_MALLOC_TUNE_H
#define HOST_MALLOC_TUNE_H
void host_malloc_tune(void);
#endif

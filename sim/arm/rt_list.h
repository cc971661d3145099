/* rt_list.h — every resource type of the emulator, one RT(descriptor) per line (X-macro read by arm_types.c). */
RT(arm_rt_resource_group)

// SPDX-License-Identifier: GPL-2.0
/*
 * bad_driver - the kcrashd crash lab's deliberately broken driver.
 *
 * Debian's kernel has no lkdtm, so this module provides the crashes the lab needs, one
 * trigger per file. Each trigger is a non-static, noinline function whose name the tests
 * know (a static one may become "f.isra.0"):
 *
 *   /proc/bad_driver                    faulty_driver_func: NULL pointer write (page fault oops)
 *   /sys/kernel/debug/bad_driver/bug        bad_bug_func: BUG() (invalid opcode oops)
 *   /sys/kernel/debug/bad_driver/warn       bad_warn_func: WARN()
 *   /sys/kernel/debug/bad_driver/divide     bad_divide_func: integer divide by zero
 *   /sys/kernel/debug/bad_driver/refcount   bad_refcount_func: refcount_t underflow
 *   /sys/kernel/debug/bad_driver/uaf        bad_uaf_func: write after kmem_cache_free; SLUB
 *                                           debugging (slub_debug=FZP,bad_uaf) reports it at
 *                                           the next allocation
 *   /sys/kernel/debug/bad_driver/softlockup bad_softlockup_func: spin N seconds (the number
 *                                           written) with preemption off
 *   /sys/kernel/debug/bad_driver/hung_task  bad_hung_task_func: sleep N seconds in D state
 *
 * faulty_driver_func comes first in the file so that it starts the module's .text.
 * With panic_on_oops=1 (what `kdump-config load` sets) every oops here is a panic.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/proc_fs.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

struct bad_dev {
	char name[16];
	int irq;
};

static struct bad_dev *the_dev;		/* never set: this is the bug */
static struct kmem_cache *bad_uaf_cache;

noinline int faulty_driver_func(struct bad_dev *dev);
noinline int faulty_driver_func(struct bad_dev *dev)
{
	pr_info("bad_driver: faulty_driver_func: configuring device %px\n", dev);
	dev->irq = 42;			/* LAB: NULL pointer write */
	return dev->irq;
}

noinline void bad_bug_func(unsigned int value);
noinline void bad_bug_func(unsigned int value)
{
	pr_info("bad_driver: bad_bug_func: value %u\n", value);
	if (value)
		BUG();			/* LAB: BUG */
}

noinline int bad_warn_func(unsigned int value);
noinline int bad_warn_func(unsigned int value)
{
	WARN(value, "bad_driver: bad_warn_func: value %u is not allowed\n", value); /* LAB: WARN */
	return 0;
}

noinline int bad_divide_func(unsigned int value);
noinline int bad_divide_func(unsigned int value)
{
	volatile int divisor = 0;	/* read at run time: the compiler cannot see the zero */

	pr_info("bad_driver: bad_divide_func: %u / %d\n", value, divisor);
	return (int)value / divisor;	/* LAB: divide error */
}

noinline int bad_refcount_func(void);
noinline int bad_refcount_func(void)
{
	refcount_t ref = REFCOUNT_INIT(1);
	int released = 0;

	if (refcount_dec_and_test(&ref))
		released++;
	if (refcount_dec_and_test(&ref))	/* LAB: refcount underflow */
		released++;
	return released;
}

noinline int bad_uaf_func(void);
noinline int bad_uaf_func(void)
{
	struct bad_dev *dev, *again;

	dev = kmem_cache_alloc(bad_uaf_cache, GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kmem_cache_free(bad_uaf_cache, dev);
	WRITE_ONCE(dev->irq, 42);		/* LAB: use after free */
	/* SLUB debugging checks the freed object's poison when it is handed out again. */
	again = kmem_cache_alloc(bad_uaf_cache, GFP_KERNEL);
	if (again)
		kmem_cache_free(bad_uaf_cache, again);
	return 0;
}

noinline void bad_softlockup_func(unsigned int seconds);
noinline void bad_softlockup_func(unsigned int seconds)
{
	unsigned long end = jiffies + seconds * HZ;

	pr_info("bad_driver: bad_softlockup_func: spinning %us with preemption off\n", seconds);
	preempt_disable();
	while (time_before(jiffies, end))	/* LAB: soft lockup */
		cpu_relax();
	preempt_enable();
}

noinline long bad_hung_task_func(unsigned int seconds);
noinline long bad_hung_task_func(unsigned int seconds)
{
	long left;

	pr_info("bad_driver: bad_hung_task_func: sleeping %us in D state\n", seconds);
	set_current_state(TASK_UNINTERRUPTIBLE);
	left = schedule_timeout(seconds * HZ);	/* LAB: hung task */
	/* Not a tail call: the hung task's stack must show this function. */
	pr_info("bad_driver: bad_hung_task_func: awake, %ld jiffies left\n", left);
	return left;
}

static ssize_t bad_driver_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	faulty_driver_func(READ_ONCE(the_dev));
	return count;
}

static const struct proc_ops bad_driver_proc_ops = {
	.proc_write = bad_driver_write,
};

enum bad_trigger { T_BUG, T_WARN, T_DIVIDE, T_REFCOUNT, T_UAF, T_SOFTLOCKUP, T_HUNG_TASK };

static const char *const bad_trigger_names[] = {
	[T_BUG] = "bug",
	[T_WARN] = "warn",
	[T_DIVIDE] = "divide",
	[T_REFCOUNT] = "refcount",
	[T_UAF] = "uaf",
	[T_SOFTLOCKUP] = "softlockup",
	[T_HUNG_TASK] = "hung_task",
};

static ssize_t bad_trigger_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	unsigned long which = (unsigned long)file->private_data;
	unsigned int value;
	int err;

	err = kstrtouint_from_user(buf, count, 0, &value);
	if (err)
		return err;
	switch (which) {
	case T_BUG:
		bad_bug_func(value);
		break;
	case T_WARN:
		bad_warn_func(value);
		break;
	case T_DIVIDE:
		bad_divide_func(value);
		break;
	case T_REFCOUNT:
		bad_refcount_func();
		break;
	case T_UAF:
		bad_uaf_func();
		break;
	case T_SOFTLOCKUP:
		bad_softlockup_func(value);
		break;
	case T_HUNG_TASK:
		bad_hung_task_func(value);
		break;
	}
	return count;
}

static const struct file_operations bad_trigger_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bad_trigger_write,
	.llseek = noop_llseek,
};

static struct dentry *bad_debugfs_dir;

static int __init bad_driver_init(void)
{
	unsigned long i;

	bad_uaf_cache = kmem_cache_create("bad_uaf", sizeof(struct bad_dev), 0, 0, NULL);
	if (!bad_uaf_cache)
		return -ENOMEM;
	if (!proc_create("bad_driver", 0200, NULL, &bad_driver_proc_ops)) {
		kmem_cache_destroy(bad_uaf_cache);
		return -ENOMEM;
	}
	bad_debugfs_dir = debugfs_create_dir("bad_driver", NULL);
	for (i = 0; i < ARRAY_SIZE(bad_trigger_names); i++)
		debugfs_create_file(bad_trigger_names[i], 0200, bad_debugfs_dir, (void *)i,
				    &bad_trigger_fops);
	pr_info("bad_driver: loaded; write to /proc/bad_driver or /sys/kernel/debug/bad_driver/*\n");
	return 0;
}

static void __exit bad_driver_exit(void)
{
	debugfs_remove_recursive(bad_debugfs_dir);
	remove_proc_entry("bad_driver", NULL);
	kmem_cache_destroy(bad_uaf_cache);
}

module_init(bad_driver_init);
module_exit(bad_driver_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kcrashd crash lab: one real kernel crash per trigger file");

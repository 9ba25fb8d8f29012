using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit;

namespace ChatCluster.Integration.Tests;

/// <summary>
/// The reminder rows a silo loads are exactly those of its slice of the hash ring, wherever the
/// slice lies: retention reminders (R1) must never be lost between silos, nor fire twice.
/// </summary>
public sealed class ReminderTableTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IReminderTable Table => fixture.Cluster.GetSiloServiceProvider().GetRequiredService<IReminderTable>();

    [Theory]
    [InlineData(0x10000000u, 0x70000000u)] // an ordinary slice
    [InlineData(0x70000000u, 0x90000000u)] // crosses 2^31, where the stored signed hashes turn negative
    [InlineData(0xF0000000u, 0x10000000u)] // wraps around the end of the ring
    [InlineData(0x80000000u, 0x80000000u)] // begin = end: the whole ring
    public async Task A_ring_slice_reads_exactly_the_reminders_whose_hash_it_contains(uint begin, uint end)
    {
        var prefix = $"ring-{Guid.NewGuid():N}";
        var grains = Enumerable.Range(0, 200).Select(i => GrainId.Create("reminder-ring-probe", $"{prefix}-{i}")).ToList();
        foreach (var grain in grains)
        {
            // Far in the future so the running silo never tries to deliver them.
            await Table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "r", StartAt = DateTime.UtcNow.AddDays(30), Period = TimeSpan.FromHours(1) });
        }

        try
        {
            var read = (await Table.ReadRows(begin, end)).Reminders
                .Where(r => r.GrainId.Key.ToString()!.StartsWith(prefix, StringComparison.Ordinal))
                .Select(r => r.GrainId)
                .ToHashSet();

            var expected = grains.Where(g => InSlice(g.GetUniformHashCode(), begin, end)).ToHashSet();
            Assert.NotEmpty(expected);
            Assert.Equal(expected.OrderBy(g => g.ToString()), read.OrderBy(g => g.ToString()));
        }
        finally
        {
            foreach (var grain in grains)
            {
                var row = await Table.ReadRow(grain, "r");
                await Table.RemoveRow(grain, "r", row!.ETag!);
            }
        }
    }

    [Fact]
    public async Task Registering_a_reminder_again_replaces_it_and_only_the_current_ETag_removes_it()
    {
        var grain = GrainId.Create("reminder-etag-probe", Guid.NewGuid().ToString("N"));
        var firstETag = await Table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "r", StartAt = DateTime.UtcNow.AddDays(30), Period = TimeSpan.FromHours(1) });
        var secondETag = await Table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "r", StartAt = DateTime.UtcNow.AddDays(31), Period = TimeSpan.FromDays(400) });

        Assert.NotEqual(firstETag, secondETag);
        var row = await Table.ReadRow(grain, "r");
        Assert.Equal(TimeSpan.FromDays(400), row!.Period); // beyond int milliseconds: stored as bigint
        Assert.Equal(secondETag, row.ETag);
        Assert.False(await Table.RemoveRow(grain, "r", firstETag!));
        Assert.True(await Table.RemoveRow(grain, "r", secondETag!));
        Assert.Null(await Table.ReadRow(grain, "r"));
    }

    /// <summary>Orleans' ring slices are (begin, end], wrapping past uint.MaxValue; begin = end is the whole ring.</summary>
    private static bool InSlice(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;
}

using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditActorIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_AuditEntries_Actor_RecordedAt",
                table: "AuditEntries");

            migrationBuilder.CreateTable(
                name: "AuditActors",
                columns: table => new
                {
                    Actor = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditActors", x => new { x.Actor, x.Sequence });
                });

            migrationBuilder.CreateIndex(
                name: "IX_AuditActors_Sequence",
                table: "AuditActors",
                column: "Sequence");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditActors");

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_Actor_RecordedAt",
                table: "AuditEntries",
                columns: new[] { "Actor", "RecordedAt" });
        }
    }
}

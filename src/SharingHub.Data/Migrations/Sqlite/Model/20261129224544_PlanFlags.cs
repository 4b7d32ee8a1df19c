using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PlanFlags : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "PlanFlags",
                table: "Enquiries",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PlanFlags",
                table: "Enquiries");
        }
    }
}

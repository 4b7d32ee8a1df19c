using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LinkageModels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "LinkageModels",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    EstimatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Records = table.Column<long>(type: "bigint", nullable: false),
                    Parameters = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LinkageModels", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LinkageModels_EstimatedAt",
                table: "LinkageModels",
                column: "EstimatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LinkageModels");
        }
    }
}
